"""Pictures: graphviz drawings of computation graphs (``dot``) and training plots (``plots``).

``draw_dot`` and ``save_graph`` are re-exported here, their documented path.
"""

from ninjagrad.draw.dot import draw_dot, save_graph

__all__ = ["draw_dot", "save_graph"]
