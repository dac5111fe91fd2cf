//! The dataflow graph between cells: a node per code cell, an edge per name a cell reads
//! from the nearest earlier cell that defines (or mutates) it. Built in one pass.

use rustc_hash::{FxHashMap, FxHashSet};

use petgraph::graph::{DiGraph, NodeIndex};

use crate::analysis::CodeCell;
use crate::analysis::facts::Name;
use crate::diagnostic::CellId;

#[derive(Clone, Debug, Default)]
pub struct DataflowGraph {
    pub graph: DiGraph<CellId, Name>,
}

pub fn build(cells: &[CodeCell]) -> DataflowGraph {
    let mut graph = DiGraph::new();
    let mut last_definition: FxHashMap<&Name, NodeIndex> = FxHashMap::default();
    for cell in cells {
        let node = graph.add_node(cell.id);
        let mut bound_here: FxHashSet<&Name> = FxHashSet::default();
        // The definitions do not change within a cell, so an edge is told by its name alone.
        let mut linked: FxHashSet<&Name> = FxHashSet::default();
        for stmt in &cell.statements {
            let reads = stmt.reads.iter().chain(&stmt.mutates).map(|o| &o.name);
            for name in reads {
                if bound_here.contains(name) {
                    continue;
                }
                if let Some(&from) = last_definition.get(name) {
                    if linked.insert(name) {
                        graph.add_edge(from, node, name.clone());
                    }
                }
            }
            bound_here.extend(stmt.binds.iter().map(|b| &b.name));
            bound_here.extend(stmt.mutates.iter().map(|o| &o.name));
        }
        for name in bound_here {
            last_definition.insert(name, node);
        }
    }
    DataflowGraph { graph }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::parse::parse_cell;

    fn cells(sources: &[&str]) -> Vec<CodeCell> {
        sources
            .iter()
            .enumerate()
            .map(|(i, s)| CodeCell {
                id: CellId(i as u32),
                first_line: 0,
                python: (*s).to_owned(),
                statements: parse_cell(CellId(i as u32), s, false).unwrap(),
                parsed: true,
                pip_packages: Default::default(),
                written_files: Default::default(),
            })
            .collect()
    }

    #[test]
    fn edges_come_from_the_nearest_definition_or_mutation() {
        let graph = build(&cells(&["x = 1\ny = []", "y.append(x)", "print(x, y)"])).graph;
        let mut edges: Vec<(u32, u32, String)> = graph
            .edge_indices()
            .map(|e| {
                let (a, b) = graph.edge_endpoints(e).unwrap();
                (graph[a].0, graph[b].0, graph[e].as_str().to_owned())
            })
            .collect();
        edges.sort();
        assert_eq!(
            edges,
            vec![
                (0, 1, "x".to_owned()),
                (0, 1, "y".to_owned()),
                (0, 2, "x".to_owned()),
                (1, 2, "y".to_owned()),
            ]
        );
    }
}
