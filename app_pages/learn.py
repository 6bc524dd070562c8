"""Learn: the story of the LSTM cell in seven short chapters, each with the live cell, a question to
answer first, and a way to explore it yourself. The chapter and the answers are in the link."""

from __future__ import annotations

import streamlit as st

from ui import controls, lesson, page, urlstate
from ui import training_session as session
from viz.lesson import LETTERS, SHORT_TITLES, Chapter, Shown, right
from viz.plan import plan_markdown
from viz.training import progress_figure
from workers.pool import Busy

GO = "_learn_go"  # the page an "Explore this yourself" button opens, set by its callback

if (target := st.session_state.pop(GO, None)) is not None:
    st.switch_page(target)

st.title("Learn: how an LSTM cell remembers")


def answers() -> list[str]:
    """One letter per chapter ('-': not answered), from the link's ``answers``; anything else is ignored."""
    text = str(controls.in_link("answers"))
    letters = [ch if ch in LETTERS else "-" for ch in text[: lesson.CHAPTERS]]
    return letters + ["-"] * (lesson.CHAPTERS - len(letters))


def record_answer(number: int, key: str, options: tuple[str, ...]) -> None:
    """A question's callback: its answer into ``answers`` (and so into the link)."""
    letters = answers()
    chosen = st.session_state.get(key)
    letters[number - 1] = LETTERS[options.index(chosen)] if chosen in options else "-"
    urlstate.set_value("answers", "".join(letters).rstrip("-"))


def move(delta: int) -> None:
    urlstate.set_value("chapter", min(max(int(urlstate.value("chapter")) + delta, 1), lesson.CHAPTERS))


def open_page(target: str, values: dict) -> None:
    """ "Explore this yourself": set the chapter's controls, then (next run, before any widget) go."""
    controls.apply_settings(values)
    st.session_state[GO] = target


def show(item: Shown) -> None:
    if item.kind == "chart":
        page.chart(item.body, key=item.key, alt=item.alt, presenter_height=item.height, displayModeBar=False)
    elif item.kind == "code":
        st.code(item.body, language="python")
    else:
        st.markdown(item.body)


def question(chapter: Chapter) -> bool:
    """The predict-first question; True once answered (the reveal follows)."""
    q = chapter.question
    key = f"learn_answer_{chapter.number}"
    letter = answers()[chapter.number - 1]
    st.session_state[key] = (
        q.options[LETTERS.index(letter)] if letter != "-" and LETTERS.index(letter) < len(q.options) else None
    )
    with st.container(border=True):
        st.markdown(f"**Predict first.** {q.prompt}")
        chosen = st.radio(
            "Your answer",
            q.options,
            key=key,
            index=None,
            on_change=record_answer,
            args=(chapter.number, key, q.options),
            label_visibility="collapsed",
        )
        if chosen is None:
            st.caption("Choose an answer: then the chapter shows what the cell did.")
            return False
        if q.answer is None:
            st.info(q.why)
        elif chosen == right(q):
            st.success(f"**Right.** {q.why}", icon=":material/check_circle:")
        else:
            st.warning(f"**Not quite: it is “{right(q).rstrip('.')}”.** {q.why}", icon=":material/lightbulb:")
    return True


def train_both(as_they_train: bool = False) -> dict[float, object]:
    """Chapter 7's two runs of this session (trained on the button), by forget_bias; with
    ``as_they_train``, a run still training as far as it has got."""
    task = lesson.train_task()
    found, training = session.trainers(), session.active()
    both = {}
    for fb in (0.0, 1.0):
        label = session.run_label(task, lesson.train_settings(fb))
        if label in training:
            if as_they_train:
                both[fb] = session.progress(training[label])
        elif label in found:
            both[fb] = found[label]
    return both


def training_figure() -> None:
    task = lesson.train_task()
    runs = {session.run_label(task, lesson.train_settings(fb)): t for fb, t in train_both(True).items()}
    if runs:
        page.chart(
            progress_figure(runs, task, next(iter(runs)), session.legend_names(list(runs))),
            key=None,
            alt=f"Loss and accuracy of delayed recall at forget_bias 0 and 1 over {lesson.TRAIN_STEPS} training steps.",
            presenter_height=460,
        )


def train_both_block(finished: list[tuple[str, str, str]]) -> None:
    """Chapter 7's chart and its Train both button: trains both runs in the server's workers, the
    chart following them, then shows the answer. ``finished``: what session.collect said."""
    task = lesson.train_task()
    for label, kind, message in finished:
        if kind == "error":
            st.error(f"{label}: {message}")
    area = st.container()
    pressed = st.button(
        "Train both",
        type="primary",
        icon=":material/model_training:",
        key="learn_train",
        disabled=bool(session.active()),
    )
    if pressed and not session.active():
        try:
            started = []
            for fb in (0.0, 1.0):
                settings = lesson.train_settings(fb)
                session.forget(task, settings)  # a fresh start from the same seed
                started.append(session.train(task, settings, lesson.TRAIN_STEPS))
            for pending in started:  # two workers train them in about half a second: answer at once
                pending.job.wait(0.8)
            st.rerun()  # the button above was drawn before the runs started
        except Busy:
            st.warning("This session is already training a run on the Train page: wait for it or stop it there.")
    with area:
        if session.active():

            def draw(found: dict) -> None:
                for pending in found.values():
                    done, text = session.status_text(pending)
                    st.progress(done, text=f"forget_bias {pending.settings.forget_bias:g}: {text}")
                if session.running():  # nothing to draw while both only wait for a trainer
                    training_figure()

            session.watch(draw)
        else:
            training_figure()


def chapter_label(n: int) -> str:
    return f"{n} · {SHORT_TITLES[n]}"


number = controls.select(
    "chapter",
    options=list(range(1, lesson.CHAPTERS + 1)),
    format_func=chapter_label,
    radio=True,
    label_visibility="collapsed",
    help="Seven short chapters; the link keeps the one you are on and your answers.",
)
given = sum(letter != "-" for letter in answers())
if not page.presenting():  # a projector's first screen is for the chapter itself
    st.progress(
        number / lesson.CHAPTERS,
        text=f"Chapter {number} of {lesson.CHAPTERS} · answers chosen in {given} of {lesson.CHAPTERS} chapters",
    )

finished = session.collect()  # chapter 7's runs, if they finished since the last run
chapter = lesson.chapter(number, page.presenting()) if number < lesson.CHAPTERS else lesson.train_chapter(train_both())
st.header(f"{number}. {chapter.title}")
# The text and the question, then what the chapter shows; on a projector side by side, so that a
# chapter fits one screen.
presenting = page.presenting()
if presenting:
    words, pictures = st.columns([2, 3])
    text_area, question_area = words.container(), words.container()
    before_area, after_area = pictures.container(), pictures.container()
    wide_area = st.container()
else:
    text_area, before_area, question_area, after_area = (st.container() for _ in range(4))
    wide_area = before_area
with text_area:
    for paragraph in chapter.text:
        st.markdown(paragraph)
with question_area:
    answered = question(chapter)
# A revealed chart takes the place of the one before it with the same key (chapter 3's four curves).
replaced = {item.key for item in chapter.after} if answered else set()
for item in chapter.before:
    if item.key not in replaced:
        with wide_area if item.wide else before_area:
            show(item)
with after_area:
    for item in chapter.after if answered else ():
        show(item)
if number == lesson.CHAPTERS:
    with wide_area if presenting else after_area:  # two charts side by side: the page's width
        train_both_block(finished)

nav = st.columns([1, 1, 3])
nav[0].button("Back", key="learn_back", on_click=move, args=(-1,), disabled=number == 1, icon=":material/arrow_back:")
nav[1].button(
    "Next",
    key="learn_next",
    on_click=move,
    args=(1,),
    disabled=number == lesson.CHAPTERS,
    type="primary",
    icon=":material/arrow_forward:",
)
nav[2].button(
    chapter.explore_label,
    key="learn_explore",
    on_click=open_page,
    args=(chapter.explore, lesson.explore_values(chapter)),
    icon=":material/open_in_new:",
    help="Opens the page with this chapter's settings (your own settings there are replaced by them).",
)

with st.expander("For the teacher: a 50-minute plan"):
    plan = plan_markdown([lesson.chapter(n) for n in range(1, lesson.CHAPTERS)] + [lesson.train_chapter({})])
    st.markdown(plan)
    st.download_button(
        "Download the plan (.md)", plan, file_name="lstm_lesson_plan.md", mime="text/markdown", on_click="ignore"
    )
