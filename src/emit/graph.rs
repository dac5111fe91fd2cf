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

/// Mermaid `flowchart` lines: the nodes, then the edges. Node ids are `step_<name>` (the
/// parameters node is `parameters`), so that no step name can be a Mermaid keyword (`end`)
/// or the parameters node; the labels are the plain names.
pub fn mermaid_lines(plan: &Plan) -> (Vec<String>, Vec<String>) {
    let graph = step_graph(plan);
    let parameters = parameters_node(plan);
    let id = |node: NodeIndex| match parameters {
        Some(parameters) if parameters == node => PARAMETERS.to_owned(),
        _ => format!("step_{}", graph[node]),
    };
    let nodes = graph
        .node_indices()
        .map(|node| match parameters {
            Some(parameters) if parameters == node => format!("{PARAMETERS}([{PARAMETERS}])"),
            _ => format!("{}[{}]", id(node), graph[node]),
        })
        .collect();
    let edges = graph
        .edge_indices()
        .filter_map(|edge| {
            let (from, to) = graph.edge_endpoints(edge)?;
            Some(format!("{} -->|{}| {}", id(from), graph[edge], id(to)))
        })
        .collect();
    (nodes, edges)
}

/// The parameters node is the first one, when the pipeline has parameters.
fn parameters_node(plan: &Plan) -> Option<NodeIndex> {
    (!plan.parameters.is_empty()).then(|| NodeIndex::new(0))
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
