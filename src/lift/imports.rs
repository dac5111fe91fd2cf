//! Import hoisting: which top-level imports move to the top of the generated modules, and how
//! they are written there (deduplicated, grouped standard library / third party / local).
//!
//! An import is hoisted only when nothing can change what it binds: its names are bound by no
//! other statement (other than the same import again), and no code before it changes where
//! imports resolve from (`sys.path`, the working directory, files written by the notebook).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use rustpython_parser::text_size::TextRange;

use crate::analysis::facts::{ImportBinding, StmtKind};
use crate::analysis::{Analysis, Name};
use crate::diagnostic::{self, Diagnostic, Span};
use crate::lift::Options;
use crate::lift::dependencies::{distribution_of, requirement_key};
use crate::lift::stdlib::is_stdlib;
use crate::lift::steps::{StatementLayout, StmtRef};
use crate::notebook::magics::SUPPORT_MODULE;

pub struct Hoisting {
    pub hoisted: HashSet<StmtRef>,
    /// Distinct hoisted bindings, in order of first appearance.
    pub bindings: Vec<ImportBinding>,
    /// The names the hoisted imports bind.
    pub bound_names: Vec<String>,
    /// `from __future__ import …` lines.
    pub future: Vec<String>,
    /// Hoisted `from module import *` statements (module, level).
    pub star_modules: Vec<(String, u32)>,
    pub star_imports: bool,
}

/// What an import binds its name to, for telling a harmless repeat from a rebinding:
/// `import os` and `import os.path` both bind `os` to the module `os`.
type BoundObject = (String, Option<String>, u32);

fn bound_object(binding: &ImportBinding) -> BoundObject {
    match (&binding.name, &binding.alias) {
        (None, None) => (binding.top_level_module().to_owned(), None, binding.level),
        _ => (binding.module.clone(), binding.name.clone(), binding.level),
    }
}

pub fn hoist(
    analysis: &Analysis,
    layout: &StatementLayout,
    _options: &Options,
    diagnostics: &mut Vec<Diagnostic>,
) -> Hoisting {
    let statements: Vec<(StmtRef, &crate::analysis::StmtFacts)> = analysis
        .cells
        .iter()
        .enumerate()
        .flat_map(|(cell, c)| {
            c.statements
                .iter()
                .enumerate()
                .map(move |(index, s)| (StmtRef { cell, index }, s))
        })
        .collect();

    // Names that something other than one import target binds.
    let mut objects: HashMap<&Name, HashSet<BoundObject>> = HashMap::new();
    let mut rebound: HashSet<&Name> = HashSet::new();
    for (_, stmt) in &statements {
        match &stmt.kind {
            StmtKind::Import(bindings) => {
                for (binding, bound) in bindings.iter().zip(&stmt.binds) {
                    objects
                        .entry(&bound.name)
                        .or_default()
                        .insert(bound_object(binding));
                }
            }
            _ => rebound.extend(stmt.binds.iter().map(|b| &b.name)),
        }
        rebound.extend(stmt.deletes.iter().map(|d| &d.name));
        rebound.extend(&stmt.globals);
    }
    let barrier = statements.iter().position(|(_, s)| s.import_barrier);

    let mut hoisting = Hoisting {
        hoisted: HashSet::new(),
        bindings: Vec::new(),
        bound_names: Vec::new(),
        future: Vec::new(),
        star_modules: Vec::new(),
        star_imports: false,
    };
    let mut seen: HashSet<ImportBinding> = HashSet::new();
    for (position, (at, stmt)) in statements.iter().enumerate() {
        let span = Span::new(analysis.cells[at.cell].id, stmt.range);
        match &stmt.kind {
            StmtKind::Import(bindings) => {
                if bindings.iter().any(|b| b.module == "__future__") {
                    if layout.standalone(*at) {
                        hoisting.hoisted.insert(*at);
                        for binding in bindings {
                            let line = render_from("__future__", 0, &[binding]);
                            if !hoisting.future.contains(&line) {
                                hoisting.future.push(line);
                            }
                        }
                    }
                    continue;
                }
                let why_not = if !layout.standalone(*at) {
                    Some("it shares a line with other code")
                } else if bindings.iter().any(|b| b.level > 0) {
                    Some("relative imports depend on the importing module")
                } else if barrier.is_some_and(|b| b <= position) {
                    Some(
                        "earlier code changes where imports are found (`sys.path`, `%cd`, written files)",
                    )
                } else if stmt
                    .binds
                    .iter()
                    .any(|b| rebound.contains(&b.name) || objects[&b.name].len() > 1)
                {
                    Some("the name it binds is bound again elsewhere in the notebook")
                } else {
                    None
                };
                match why_not {
                    Some(reason) => {
                        // Repeating a plain import is common and harmless; explain only
                        // the cases a reader would wonder about.
                        if !layout.standalone(*at) || barrier.is_some_and(|b| b <= position) {
                            diagnostics.push(diagnostic::import_not_hoisted(span, reason));
                        }
                    }
                    None => {
                        hoisting.hoisted.insert(*at);
                        for binding in bindings {
                            if seen.insert(binding.clone()) {
                                hoisting.bindings.push(binding.clone());
                                let name = binding.bound_name().to_owned();
                                if !hoisting.bound_names.contains(&name) {
                                    hoisting.bound_names.push(name);
                                }
                            }
                        }
                    }
                }
            }
            StmtKind::StarImport { module, level } => {
                // A star import is only legal at module level, so it always moves there.
                hoisting.hoisted.insert(*at);
                hoisting.star_imports = true;
                if !hoisting.star_modules.contains(&(module.clone(), *level)) {
                    hoisting.star_modules.push((module.clone(), *level));
                }
                if barrier.is_some_and(|b| b <= position) {
                    diagnostics.push(diagnostic::import_not_hoisted(
                        Span::new(span.cell, TextRange::empty(span.range.start())),
                        "a star import can only be written at module level, so it is hoisted all the same",
                    ));
                }
            }
            _ => {}
        }
    }
    hoisting
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Group {
    Stdlib,
    ThirdParty,
    Local,
}

fn group_of(module: &str, level: u32, options: &Options) -> Group {
    let top = module.split('.').next().unwrap_or_default();
    if level > 0 || options.local_modules.contains(top) {
        Group::Local
    } else if is_stdlib(top) {
        Group::Stdlib
    } else {
        Group::ThirdParty
    }
}

/// Import lines for a module that uses `used`. With `unused_elsewhere`, hoisted imports that
/// neither this module nor that one uses are kept here too (an import may matter for its side
/// effects), marked for ruff.
pub fn render_for(
    hoisting: &Hoisting,
    used: &HashSet<String>,
    unused_elsewhere: Option<&HashSet<String>>,
    options: &Options,
) -> Vec<Vec<String>> {
    let mut plain: BTreeMap<Group, BTreeSet<String>> = BTreeMap::new();
    let mut from: BTreeMap<(Group, u32, String), Vec<&ImportBinding>> = BTreeMap::new();
    let mut side_effect: BTreeMap<Group, BTreeSet<String>> = BTreeMap::new();
    for binding in &hoisting.bindings {
        let name = binding.bound_name();
        let wanted = used.contains(name);
        let unused = unused_elsewhere.is_some_and(|other| !wanted && !other.contains(name));
        if !wanted && !unused {
            continue;
        }
        let group = group_of(&binding.module, binding.level, options);
        if unused {
            side_effect
                .entry(group)
                .or_default()
                .insert(format!("{}  # noqa: F401", render_one(binding)));
        } else if binding.name.is_none() {
            plain.entry(group).or_default().insert(render_one(binding));
        } else {
            from.entry((group, binding.level, binding.module.clone()))
                .or_default()
                .push(binding);
        }
    }
    if unused_elsewhere.is_some() {
        for (module, level) in &hoisting.star_modules {
            let group = group_of(module, *level, options);
            side_effect.entry(group).or_default().insert(format!(
                "from {}{module} import *  # noqa: F403",
                ".".repeat(*level as usize)
            ));
        }
    }
    [Group::Stdlib, Group::ThirdParty, Group::Local]
        .into_iter()
        .map(|group| {
            let mut lines: Vec<String> = plain
                .remove(&group)
                .unwrap_or_default()
                .into_iter()
                .collect();
            for ((g, level, module), bindings) in &from {
                if *g == group {
                    lines.push(render_from(module, *level, bindings));
                }
            }
            lines.extend(side_effect.remove(&group).unwrap_or_default());
            lines
        })
        .filter(|lines| !lines.is_empty())
        .collect()
}

fn render_one(binding: &ImportBinding) -> String {
    match (&binding.name, &binding.alias) {
        (None, None) => format!("import {}", binding.module),
        (None, Some(alias)) => format!("import {} as {alias}", binding.module),
        _ => render_from(&binding.module, binding.level, &[binding]),
    }
}

fn render_from(module: &str, level: u32, bindings: &[&ImportBinding]) -> String {
    let mut names: Vec<String> = bindings
        .iter()
        .map(|b| {
            let name = b.name.as_deref().unwrap_or_default();
            match &b.alias {
                Some(alias) => format!("{name} as {alias}"),
                None => name.to_owned(),
            }
        })
        .collect();
    names.sort();
    names.dedup();
    format!(
        "from {}{module} import {}",
        ".".repeat(level as usize),
        names.join(", ")
    )
}

/// The package's dependencies: third-party modules the notebook imports anywhere, and what
/// its `pip install` lines named, sorted and deduplicated.
pub fn dependencies(analysis: &Analysis, options: &Options) -> Vec<String> {
    let written_modules: HashSet<&str> = analysis
        .cells
        .iter()
        .flat_map(|c| &c.written_files)
        .filter_map(|f| f.strip_suffix(".py"))
        .collect();
    let mut requirements: BTreeMap<String, String> = BTreeMap::new();
    for cell in &analysis.cells {
        for module in cell.statements.iter().flat_map(|s| &s.modules) {
            if module.is_empty()
                || module == SUPPORT_MODULE
                || is_stdlib(module)
                || options.local_modules.contains(module)
                || written_modules.contains(module.as_str())
            {
                continue;
            }
            let distribution = distribution_of(module);
            requirements
                .entry(requirement_key(&distribution))
                .or_insert(distribution);
        }
    }
    for package in analysis.cells.iter().flat_map(|c| &c.pip_packages) {
        requirements.insert(requirement_key(package), package.clone());
    }
    requirements.into_values().collect()
}
