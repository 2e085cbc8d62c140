"""Pictures: graphviz drawings of computation graphs (``dot``), the step-by-step backprop
player (``player``, its steps recorded by ``steps``), the local-derivative formulas both
write (``formulas``) and training plots (``plots``).

``draw_dot``, ``save_graph`` and ``play`` are re-exported here, their documented path.
"""

from ninjagrad.draw.dot import draw_dot, save_graph
from ninjagrad.draw.player import Player, play

__all__ = ["Player", "draw_dot", "play", "save_graph"]
