"""Pictures: computation graphs (graphviz) and plots (matplotlib), both imported on first use."""

from .graph import draw_graph, save_graph
from .plots import (
    plot_activations,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_neuron_surface,
    plot_regression,
)

__all__ = ["draw_graph", "save_graph", "plot_activations", "plot_neuron_surface", "plot_decision_boundary",
           "plot_history", "plot_confusion_matrix", "plot_regression"]
