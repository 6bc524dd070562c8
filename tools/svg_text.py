"""The text of the live view's SVG drawings as a reader sees it (ui/live_step.js): what runs out of
its drawing, into another text or out of the box it sits in, and the smallest text, in px.

tools.browser.chart_text_problems does the same for Plotly charts; these drawings are not Plotly.
"""

from __future__ import annotations

# Every visible <text> of every SVG under ``selector``; a text whose centre is in a box (a <rect>
# smaller than half the drawing) must fit inside it.
SVG_TEXT_PROBLEMS = """([selector, tolerance]) => {
    const problems = [];
    const overlap = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > tolerance
        && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > tolerance;
    for (const [index, svg] of [...document.querySelectorAll(selector)].entries()) {
        const box = svg.getBoundingClientRect();
        if (box.width < 1) continue;
        const name = svg.getAttribute('aria-label')?.slice(0, 30) || `drawing ${index}`;
        const texts = [...svg.querySelectorAll('text')].filter((t) => {
            const r = t.getBoundingClientRect();
            return r.width > 0.5 && t.textContent.trim() !== '' && getComputedStyle(t).visibility !== 'hidden';
        });
        const rects = texts.map((t) => t.getBoundingClientRect());
        const say = (t) => `"${t.textContent.trim().slice(0, 30)}"`;
        texts.forEach((t, k) => {
            const r = rects[k];
            if (r.left < box.left - tolerance || r.right > box.right + tolerance || r.top < box.top - tolerance || r.bottom > box.bottom + tolerance)
                problems.push(`${name}: ${say(t)} runs out of the drawing`);
            for (let m = k + 1; m < texts.length; m++)
                if (overlap(r, rects[m])) problems.push(`${name}: ${say(t)} overlaps ${say(texts[m])}`);
        });
        const boxes = [...svg.querySelectorAll('rect')].map((b) => b.getBoundingClientRect())
            .filter((b) => b.width > 8 && b.height > 8 && b.width < box.width * 0.5);
        texts.forEach((t, k) => {
            const r = rects[k], cx = (r.left + r.right) / 2, cy = (r.top + r.bottom) / 2;
            for (const b of boxes)
                if (cx > b.left && cx < b.right && cy > b.top && cy < b.bottom
                        && (r.left < b.left - tolerance || r.right > b.right + tolerance || r.top < b.top - tolerance || r.bottom > b.bottom + tolerance))
                    problems.push(`${name}: ${say(t)} runs out of its box`);
        });
    }
    return problems;
}"""

SMALLEST_SVG_TEXT = """(selector) => Math.min(...[...document.querySelectorAll(`${selector} text`)]
    .filter((t) => t.getBoundingClientRect().width > 0 && t.textContent.trim() !== '')
    .map((t) => parseFloat(getComputedStyle(t).fontSize) * (t.getScreenCTM()?.a ?? 1)))"""

#: The live view's drawings (the cell and the unrolled steps).
LIVE_DRAWINGS = "[data-testid='lstm-live-step'] svg"


def svg_text_problems(page, selector: str = LIVE_DRAWINGS, tolerance: float = 1.0) -> list[str]:
    """What :data:`SVG_TEXT_PROBLEMS` finds (empty when every text of those drawings reads clearly)."""
    return page.evaluate(SVG_TEXT_PROBLEMS, [selector, tolerance])


def smallest_svg_text(page, selector: str = LIVE_DRAWINGS) -> float:
    """The smallest text of those drawings as shown, in px (its font size times the drawing's scale)."""
    return page.evaluate(SMALLEST_SVG_TEXT, selector)
