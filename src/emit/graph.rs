//! The steps' dataflow graph: the steps (and the pipeline's parameters) as nodes, the names
//! one hands to another on the edges. Drawn in Mermaid (the generated README and
//! `nblift graph`) or in Graphviz dot (`nblift graph --format dot`).

use petgraph::dot::Dot;
use petgraph::graph::{DiGraph, NodeIndex};

use crate::emit::context::names_list;
use crate::lift::Plan;

/// The node that stands for the pipeline's parameters.
const PARAMETERS: &str = "parameters";

/// The graph, nodes in step order (parameters first), edges in the plan's order.
fn step_graph(plan: &Plan) -> DiGraph<String, String> {
    let mut graph = DiGraph::new();
    let parameters = (!plan.parameters.is_empty()).then(|| graph.add_node(PARAMETERS.to_owned()));
    let steps: Vec<NodeIndex> = plan
        .steps
        .iter()
        .map(|step| graph.add_node(step.name.clone()))
        .collect();
    for edge in &plan.edges {
        let Some(from) = edge.from.map_or(parameters, |i| Some(steps[i])) else {
            continue;
        };
        graph.add_edge(from, steps[edge.to], names_list(&edge.names));
    }
    graph
}

/// Mermaid `flowchart` lines: the nodes, then the edges.
pub fn mermaid_lines(plan: &Plan) -> (Vec<String>, Vec<String>) {
    let graph = step_graph(plan);
    let nodes = graph
        .node_weights()
        .map(|name| match name.as_str() {
            PARAMETERS => format!("{name}([{name}])"),
            step => format!("{step}[{step}]"),
        })
        .collect();
    let edges = graph
        .edge_indices()
        .filter_map(|edge| {
            let (from, to) = graph.edge_endpoints(edge)?;
            Some(format!(
                "{} -->|{}| {}",
                graph[from], graph[edge], graph[to]
            ))
        })
        .collect();
    (nodes, edges)
}

/// A whole Mermaid diagram.
pub fn mermaid(plan: &Plan) -> String {
    let (nodes, edges) = mermaid_lines(plan);
    let mut text = "flowchart TD\n".to_owned();
    for line in nodes.iter().chain(&edges) {
        text.push_str("    ");
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// A Graphviz `digraph`.
pub fn dot(plan: &Plan) -> String {
    format!("{}", Dot::new(&step_graph(plan)))
}
