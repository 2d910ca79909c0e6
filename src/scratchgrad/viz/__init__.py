"""Pictures: computation graphs (graphviz), plots (matplotlib) and notebook displays.

Graphviz, matplotlib and IPython are imported on first use. Every plot returns a matplotlib
`Figure` that a Jupyter notebook displays by itself (no pyplot, no `%matplotlib`).
"""

from .graph import draw_dot, draw_graph, save_graph
from .notebook import LivePlot, ModuleSummary, history_html, module_summary
from .plots import (
    plot_activations,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_neuron_surface,
    plot_regression,
)

__all__ = ["draw_graph", "draw_dot", "save_graph", "plot_activations", "plot_neuron_surface", "plot_decision_boundary",
           "plot_history", "plot_confusion_matrix", "plot_regression", "LivePlot", "module_summary",
           "ModuleSummary", "history_html"]
