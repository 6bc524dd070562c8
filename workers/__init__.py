"""Heavy work off the server's interpreter: a bounded pool of worker processes (:mod:`workers.pool`)
that train the Train page's models, each a plain ``python -m workers.child`` talking over its
standard input and output (:mod:`workers.wire`: JSON headers and raw bytes, no pickle).

Plain Python and NumPy (no Streamlit): the Train page reaches it through ui.training_session.
"""
