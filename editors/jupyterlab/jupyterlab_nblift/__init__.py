"""nblift in JupyterLab: "Lift cell into a function" on a cell, "Convert notebook to package"
and "Verify notebook against package" on a notebook, and nblift's diagnostics through
jupyter-lsp. Every action runs the ``nblift`` binary."""

from .handlers import setup_handlers

__version__ = "0.1.0"


def _jupyter_labextension_paths():
    return [{"src": "labextension", "dest": "jupyterlab-nblift"}]


def _jupyter_server_extension_points():
    return [{"module": "jupyterlab_nblift"}]


def _load_jupyter_server_extension(server_app):
    setup_handlers(server_app.web_app)
    server_app.log.info("jupyterlab_nblift: /nblift/{lift,convert,verify} ready")
