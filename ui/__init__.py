"""The app's layer between the pages and the core: what the pages share.

Plain Python, tested without Streamlit:

- ``schema``: every control of the app with its type, default and bounds (the link's keys);
- ``model``: ``ModelSpec``, what the sidebar describes, and ``Run``, a run of it (``run_model``);
- ``trained``: trained and uploaded weights, checked once and kept per session;
- ``config_io``: reading a configuration file through the schema;
- ``exports``: what the download buttons hand out;
- ``markup``: user text made inert before Streamlit's Markdown;
- ``run_cache``: the memory-budgeted cache every session shares;
- ``shelf``: what a learner made, kept on the server for a while under a key that only the link carries.

Streamlit glue, used by the pages:

- ``controls``: the sidebar and the widget helpers built from the schema; ``urlstate``: the link;
- ``runs``: cached runs within the page limit; ``page``: stopping with a reason, the sequence
  and layer shown; ``weights_menu``: the Weights menu and uploads; ``files``: downloads and the
  configuration uploader; ``training_session``: the Train page's runs; ``plotly_live``: charts
  updated in place; ``sweeps``: a run at every forget bias of a grid, within limits;
  ``live_explore``: Explore's views that scrub forget_bias and the step in the browser;
  ``live_step``: Step through's live view (played and scrubbed in the browser); ``lesson``: the
  Learn page's runs and chapters; ``keep``: what a reload or a restart brings back from the shelf,
  and the messages for what it cannot.
"""
