//! Import hoisting: which top-level imports move to the top of the generated modules, and how
//! they are written there (deduplicated, grouped standard library / third party / local).
//!
//! An import is hoisted only when nothing can change what it binds: its names are bound by no
//! other statement (other than the same import again), and no code before it changes where
//! imports resolve from (`sys.path`, the working directory, files written by the notebook).

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use rustpython_parser::text_size::TextRange;

use crate::analysis::builtins::is_provided;
use crate::analysis::facts::{ImportBinding, StmtKind};
use crate::analysis::{Analysis, Name};
use crate::diagnostic::{self, CellId, Diagnostic, Span};
use crate::lift::Options;
use crate::lift::dependencies::{distribution_of, requirement_key};
use crate::lift::star_exports::star_exports;
use crate::lift::stdlib::is_stdlib;
use crate::lift::steps::{StatementLayout, StmtRef};
use crate::notebook::magics::SUPPORT_MODULE;

pub struct Hoisting {
    pub hoisted: FxHashSet<StmtRef>,
    /// Distinct hoisted bindings, in order of first appearance.
    pub bindings: Vec<ImportBinding>,
    /// Where each of `bindings` first appears.
    pub spans: Vec<Span>,
    /// The names the hoisted imports bind.
    pub bound_names: BTreeSet<String>,
    /// `from __future__ import …` lines.
    pub future: Vec<String>,
    /// Hoisted `from module import *` statements (module, level).
    pub star_modules: Vec<(String, u32)>,
    pub star_imports: bool,
}

/// `__future__` features that every Python 3 the package supports has: importing them does
/// nothing, so the package leaves them out.
const PYTHON3_FEATURES: &[&str] = &[
    "absolute_import",
    "division",
    "generator_stop",
    "generators",
    "nested_scopes",
    "print_function",
    "unicode_literals",
    "with_statement",
];

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
    let mut objects: FxHashMap<&Name, FxHashSet<BoundObject>> = FxHashMap::default();
    let mut rebound: FxHashSet<&Name> = FxHashSet::default();
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
        rebound.extend(stmt.deletes().iter().map(|d| &d.name));
        rebound.extend(stmt.globals());
    }
    let barrier = statements.iter().position(|(_, s)| s.import_barrier);

    let mut hoisting = Hoisting {
        hoisted: FxHashSet::default(),
        bindings: Vec::new(),
        spans: Vec::new(),
        bound_names: BTreeSet::new(),
        future: Vec::new(),
        star_modules: Vec::new(),
        star_imports: false,
    };
    // First each import on its own; then, since a name is hoisted only if every import
    // that binds it is, an import kept in place keeps the others binding its names in place.
    let mut candidates: Vec<(StmtRef, &[ImportBinding], &crate::analysis::StmtFacts)> = Vec::new();
    // The names a known module's star import gives that the notebook reads, imported by name.
    let mut star_bindings: Vec<(ImportBinding, Span)> = Vec::new();
    let mut kept_names: Vec<&Name> = Vec::new();
    // Each `import module` (or `as alias`) so far, with the cell that first has it.
    let mut imported_before: FxHashMap<&ImportBinding, CellId> = FxHashMap::default();
    for (position, (at, stmt)) in statements.iter().enumerate() {
        let span = Span::new(analysis.cells[at.cell].id, stmt.range);
        match &stmt.kind {
            StmtKind::Import(bindings) => {
                let after_barrier = barrier.is_some_and(|b| b <= position);
                if after_barrier
                    && layout.standalone(*at)
                    && let Some(first) =
                        repeated_import(bindings, stmt, &imported_before, &rebound, &objects)
                {
                    // The module is already imported and bound to the same name, which
                    // nothing else binds: the repeat does nothing. Kept in place, it would
                    // be an unused import of its step, and would keep the first in place.
                    hoisting.hoisted.insert(*at);
                    diagnostics.push(diagnostic::repeated_import_removed(span, first));
                    continue;
                }
                for binding in bindings.iter().filter(|b| b.name.is_none()) {
                    imported_before
                        .entry(binding)
                        .or_insert(analysis.cells[at.cell].id);
                }
                if bindings.iter().any(|b| b.module == "__future__") {
                    if layout.standalone(*at) {
                        hoisting.hoisted.insert(*at);
                        for binding in bindings {
                            let feature = binding.name.as_deref().unwrap_or_default();
                            if PYTHON3_FEATURES.contains(&feature) {
                                diagnostics.push(diagnostic::future_import_removed(span, feature));
                                continue;
                            }
                            let line = format!("from __future__ import {feature}");
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
                } else if after_barrier {
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
                        kept_names.extend(stmt.binds.iter().map(|b| &b.name));
                        // Repeating a plain import is common and harmless; explain only
                        // the cases a reader would wonder about.
                        if !layout.standalone(*at) || after_barrier {
                            diagnostics.push(diagnostic::import_not_hoisted(span, reason));
                        }
                    }
                    None => candidates.push((*at, bindings, stmt)),
                }
            }
            StmtKind::StarImport { module, level } => {
                // A star import is only legal at module level, so it always moves there.
                hoisting.hoisted.insert(*at);
                if let Some(names) =
                    star_names(module.as_str(), *level, &statements, &rebound, &objects)
                {
                    star_bindings.extend(names.into_iter().map(|name| {
                        let binding = ImportBinding {
                            module: module.to_string(),
                            name: Some(name.to_owned()),
                            alias: None,
                            level: 0,
                        };
                        (binding, Span::new(analysis.cells[at.cell].id, stmt.range))
                    }));
                    continue;
                }
                hoisting.star_imports = true;
                if !hoisting
                    .star_modules
                    .contains(&(module.to_string(), *level))
                {
                    hoisting.star_modules.push((module.to_string(), *level));
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

    let mut by_name: FxHashMap<&Name, Vec<usize>> = FxHashMap::default();
    for (index, (_, _, stmt)) in candidates.iter().enumerate() {
        for binding in &stmt.binds {
            by_name.entry(&binding.name).or_default().push(index);
        }
    }
    let mut dropped = vec![false; candidates.len()];
    let mut blocked: FxHashSet<&Name> = FxHashSet::default();
    while let Some(name) = kept_names.pop() {
        if !blocked.insert(name) {
            continue;
        }
        for &index in by_name.get(name).into_iter().flatten() {
            if !std::mem::replace(&mut dropped[index], true) {
                kept_names.extend(candidates[index].2.binds.iter().map(|b| &b.name));
            }
        }
    }

    let mut seen: FxHashSet<ImportBinding> = FxHashSet::default();
    for ((at, bindings, stmt), dropped) in candidates.into_iter().zip(dropped) {
        if dropped {
            continue;
        }
        hoisting.hoisted.insert(at);
        for binding in bindings.iter().map(kernel_stand_in).map(from_form) {
            if seen.insert(binding.clone()) {
                hoisting.bindings.push(binding.clone());
                hoisting
                    .spans
                    .push(Span::new(analysis.cells[at.cell].id, stmt.range));
                let name = binding.bound_name().to_owned();
                hoisting.bound_names.insert(name);
            }
        }
    }
    for (binding, span) in star_bindings {
        if seen.insert(binding.clone()) {
            hoisting.bound_names.insert(binding.bound_name().to_owned());
            hoisting.bindings.push(binding);
            hoisting.spans.push(span);
        }
    }
    hoisting
}

/// The cell that first imported what `bindings` import, when every binding is an `import
/// module` (or `as alias`) done before and its name is bound by nothing but that import: a
/// module is imported once per process, so the repeat binds the same object again. A
/// `from module import name` can bind another object the second time (the module's
/// attribute may have been set meanwhile), so it never counts as a repeat.
fn repeated_import(
    bindings: &[ImportBinding],
    stmt: &crate::analysis::StmtFacts,
    before: &FxHashMap<&ImportBinding, CellId>,
    rebound: &FxHashSet<&Name>,
    objects: &FxHashMap<&Name, FxHashSet<BoundObject>>,
) -> Option<CellId> {
    let mut first = None;
    for (binding, bound) in bindings.iter().zip(&stmt.binds) {
        let only_this = !rebound.contains(&bound.name) && objects[&bound.name].len() == 1;
        if binding.name.is_some() || !only_this {
            return None;
        }
        first = first.or(Some(*before.get(binding)?));
    }
    first
}

/// The names to import instead of `from module import *`, when the module's exports are
/// known ([`star_exports`]): those the notebook reads, builtins the star import shadows
/// (`sum` after `from numpy import *`) included. `None` keeps the star import: the module is
/// unknown or relative, the notebook reads a name that nothing binds and the table does not
/// list (a newer version's, or another star import's), or a name it reads from the module is
/// bound elsewhere too, where only the star import's place in the page says which wins.
fn star_names(
    module: &str,
    level: u32,
    statements: &[(StmtRef, &crate::analysis::StmtFacts)],
    rebound: &FxHashSet<&Name>,
    objects: &FxHashMap<&Name, FxHashSet<BoundObject>>,
) -> Option<Vec<&'static str>> {
    let exports = star_exports(module).filter(|_| level == 0)?;
    // Another module's star import may bind the same names: which wins depends on the page.
    let other_stars: Vec<&str> = statements
        .iter()
        .filter_map(|(_, stmt)| match &stmt.kind {
            StmtKind::StarImport { module: other, .. } if other.as_str() != module => {
                Some(other.as_str())
            }
            _ => None,
        })
        .collect();
    let mut bound: FxHashSet<&str> = FxHashSet::default();
    let mut read: BTreeSet<&str> = BTreeSet::new();
    for (_, stmt) in statements {
        bound.extend(stmt.binds.iter().map(|b| b.name.as_str()));
        read.extend(
            stmt.reads
                .iter()
                .chain(&stmt.late_reads)
                .map(|r| r.name.as_str()),
        );
    }
    let exported = |name: &str| exports.binary_search(&name).is_ok();
    let unresolved = read
        .iter()
        .any(|name| !bound.contains(name) && !is_provided(name) && !exported(name));
    if unresolved {
        return None;
    }
    let used: Vec<&'static str> = exports
        .iter()
        .copied()
        .filter(|name| read.contains(name))
        .collect();
    let bound_elsewhere: FxHashSet<&str> = rebound
        .iter()
        .chain(objects.keys())
        .map(|name| name.as_str())
        .collect();
    let starred_elsewhere = |name: &str| {
        other_stars
            .iter()
            .any(|other| star_exports(other).is_none_or(|names| names.binary_search(&name).is_ok()))
    };
    let elsewhere = used
        .iter()
        .any(|name| bound_elsewhere.contains(name) || starred_elsewhere(name));
    (!elsewhere).then_some(used)
}

/// `import a.b as b` written as `from a import b`, the form reviewers (and ruff's PLR0402)
/// ask for: both bind `b` to the submodule `a.b`.
fn from_form(binding: ImportBinding) -> ImportBinding {
    match (&binding.name, &binding.alias) {
        (None, Some(alias)) if binding.level == 0 => match binding.module.rsplit_once('.') {
            Some((parent, last)) if last == alias => ImportBinding {
                module: parent.to_owned(),
                name: Some(alias.clone()),
                alias: None,
                level: 0,
            },
            _ => binding,
        },
        _ => binding,
    }
}

/// IPython's `display` and `get_ipython` talk to a kernel; outside one, IPython's `display`
/// prints to stdout, which the notebook never did. The package's stand-ins replace them.
fn kernel_stand_in(binding: &ImportBinding) -> ImportBinding {
    const KERNEL_MODULES: &[&str] = &[
        "IPython",
        "IPython.core.display",
        "IPython.core.display_functions",
        "IPython.display",
    ];
    let name = binding.name.as_deref().unwrap_or_default();
    if binding.level == 0
        && KERNEL_MODULES.contains(&binding.module.as_str())
        && matches!(name, "display" | "get_ipython")
    {
        ImportBinding {
            module: SUPPORT_MODULE.to_owned(),
            level: 1,
            ..binding.clone()
        }
    } else {
        binding.clone()
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Section {
    Stdlib,
    ThirdParty,
    Local,
}

/// Sections as ruff's isort sees them: relative imports are local; modules beside the
/// notebook are not part of the package, so they sort with the third-party ones.
fn section_of(binding: &ImportBinding) -> Section {
    if binding.level > 0 {
        Section::Local
    } else if is_stdlib(binding.top_level_module()) {
        Section::Stdlib
    } else {
        Section::ThirdParty
    }
}

/// isort's member order (ruff's default `order-by-type`): CONSTANTS, Classes, the rest.
fn member_key(name: &str) -> (u8, String) {
    let rank = if name.len() > 1 && name.chars().all(|c| !c.is_lowercase()) {
        0
    } else if name.starts_with(|c: char| c.is_uppercase()) {
        1
    } else {
        2
    };
    (rank, name.to_owned())
}

/// The longest import line ruff's isort leaves on one line (its default line length).
const LINE_LENGTH: usize = 88;

/// Modules imported for what importing them does, with what that is: kept, with that said
/// in a comment, where nothing reads the name they bind.
const IMPORTED_FOR_EFFECT: &[(&str, &str)] = &[
    ("hvplot.pandas", "adds `.hvplot` to pandas objects"),
    ("janitor", "adds pyjanitor's methods to pandas objects"),
    (
        "mpl_toolkits.mplot3d",
        "registers matplotlib's `3d` projection",
    ),
    ("pandas_profiling", "adds `DataFrame.profile_report`"),
    (
        "sklearn.experimental",
        "enables an experimental scikit-learn estimator",
    ),
    ("swifter", "adds `.swifter` to pandas objects"),
    ("ydata_profiling", "adds `DataFrame.profile_report`"),
];

/// What importing `binding`'s module does that the notebook may rely on without reading the
/// name it binds, if it is one nblift knows.
pub fn effect_of(binding: &ImportBinding) -> Option<&'static str> {
    let module = binding.module.as_str();
    IMPORTED_FOR_EFFECT
        .iter()
        .find(|(known, _)| {
            module == *known
                || module
                    .strip_prefix(known)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .map(|(_, effect)| *effect)
}

/// One binding of a rendered import block, and, when nothing uses it, the effect it is kept
/// for (said in a comment).
pub struct ImportItem<'a> {
    pub binding: &'a ImportBinding,
    pub effect: Option<&'static str>,
}

/// Import lines for a module that uses `used`. With `unused_elsewhere`, hoisted imports that
/// neither this module nor that one uses are kept here if they are imported for their effect
/// ([`effect_of`]); the rest are left out (see [`unused_imports`]). `extra` adds the
/// package's own relative imports.
pub fn render_for(
    hoisting: &Hoisting,
    used: &FxHashSet<&str>,
    unused_elsewhere: Option<&FxHashSet<&str>>,
    extra: &[ImportBinding],
) -> Vec<Vec<String>> {
    let mut items: Vec<ImportItem> = Vec::new();
    for binding in &hoisting.bindings {
        let name = binding.bound_name();
        if used.contains(name) {
            items.push(ImportItem {
                binding,
                effect: None,
            });
        } else if unused_elsewhere.is_some_and(|other| !other.contains(name))
            && let Some(effect) = effect_of(binding)
        {
            items.push(ImportItem {
                binding,
                effect: Some(effect),
            });
        }
    }
    items.extend(extra.iter().map(|binding| ImportItem {
        binding,
        effect: None,
    }));
    let mut sections = render_sections(&items);
    // Star imports stay below the imports they may rebind, as in the notebook. Where isort
    // would sort one above an import of its section, it opens a block of its own after all
    // the others (`# isort: split`), so that the order the notebook relied on holds.
    let mut split_off = Vec::new();
    if unused_elsewhere.is_some() {
        for (module, level) in &hoisting.star_modules {
            let section = section_of(&ImportBinding {
                module: module.clone(),
                name: None,
                alias: None,
                level: *level,
            });
            let line = format!("from {}{module} import *", ".".repeat(*level as usize));
            let lines = sections.entry(section).or_default();
            let sorts_last = lines
                .iter()
                .filter_map(|other| from_module_key(other))
                .all(|other| other <= from_module_key(&line).unwrap_or_default());
            if sorts_last {
                lines.push(line);
            } else {
                split_off.push(line);
            }
        }
    }
    let mut groups: Vec<Vec<String>> = sections
        .into_values()
        .filter(|lines| !lines.is_empty())
        .collect();
    if !split_off.is_empty() {
        let mut group = vec![
            "# Below the imports above, as in the notebook: a star import may rebind their names."
                .to_owned(),
            "# isort: split".to_owned(),
        ];
        group.extend(split_off);
        groups.push(group);
    }
    groups
}

/// Where isort sorts a `from` statement in its section: deeper relative levels first, then
/// the module, case-insensitively. `None` for a plain `import`, which sorts before them all.
fn from_module_key(line: &str) -> Option<(u32, String)> {
    let rest = line.strip_prefix("from ")?;
    let module = rest.split_whitespace().next()?;
    let dots = module.len() - module.trim_start_matches('.').len();
    Some((
        u32::MAX - dots as u32,
        module.trim_start_matches('.').to_lowercase(),
    ))
}

/// A note for each hoisted import that no module of the package reads and that is not
/// imported for its effect: the package leaves it out.
pub fn unused_imports(
    hoisting: &Hoisting,
    step_uses: &FxHashSet<&str>,
    lib_uses: &FxHashSet<&str>,
) -> Vec<Diagnostic> {
    hoisting
        .bindings
        .iter()
        .zip(&hoisting.spans)
        .filter(|(binding, _)| {
            let name = binding.bound_name();
            !step_uses.contains(name) && !lib_uses.contains(name) && effect_of(binding).is_none()
        })
        .map(|(binding, span)| diagnostic::unused_import_removed(*span, binding.bound_name()))
        .collect()
}

/// A `from` statement being assembled.
struct FromStatement<'a> {
    module: &'a str,
    level: u32,
    /// Members as written (`name` or `name as alias`), and the effect each is kept for.
    members: Vec<(String, Option<&'static str>)>,
}

/// Where a statement sorts inside its section: deeper relative levels first, then the module
/// (case-insensitively), then the first member.
type StatementOrder = (u32, String, (u8, String));

/// Sorted, grouped import statements, formatted as ruff's isort formats them.
fn render_sections(items: &[ImportItem]) -> BTreeMap<Section, Vec<String>> {
    let mut plain: BTreeMap<Section, Vec<(String, String)>> = BTreeMap::new();
    // One statement per module, except that `name as alias` members stand alone, as isort
    // keeps them by default.
    let mut from: BTreeMap<(Section, u32, String, String), FromStatement> = BTreeMap::new();
    for item in items {
        let binding = item.binding;
        let section = section_of(binding);
        let Some(name) = &binding.name else {
            let mut line = match &binding.alias {
                Some(alias) => format!("import {} as {alias}", binding.module),
                None => format!("import {}", binding.module),
            };
            if let Some(effect) = item.effect {
                line.push_str(&effect_comment(effect));
            }
            plain
                .entry(section)
                .or_default()
                .push((binding.module.to_lowercase(), line));
            continue;
        };
        let member = match &binding.alias {
            Some(alias) => format!("{name} as {alias}"),
            None => name.clone(),
        };
        let alone = if binding.alias.is_some() {
            member.clone()
        } else {
            String::new()
        };
        from.entry((section, binding.level, binding.module.to_lowercase(), alone))
            .or_insert_with(|| FromStatement {
                module: &binding.module,
                level: binding.level,
                members: Vec::new(),
            })
            .members
            .push((member, item.effect));
    }

    let mut ordered: BTreeMap<Section, Vec<(StatementOrder, String)>> = BTreeMap::new();
    for ((section, level, module_key, _), mut statement) in from {
        statement
            .members
            .sort_by_key(|(member, _)| member_key(member));
        statement.members.dedup();
        let order = (
            u32::MAX - level,
            module_key,
            member_key(&statement.members[0].0),
        );
        let head = format!(
            "from {}{} import ",
            ".".repeat(statement.level as usize),
            statement.module
        );
        ordered
            .entry(section)
            .or_default()
            .push((order, format_from(&head, &statement.members)));
    }

    let mut sections: BTreeMap<Section, Vec<String>> = BTreeMap::new();
    for section in [Section::Stdlib, Section::ThirdParty, Section::Local] {
        let mut lines: Vec<String> = Vec::new();
        if let Some(mut statements) = plain.remove(&section) {
            statements.sort();
            statements.dedup();
            lines.extend(statements.into_iter().map(|(_, line)| line));
        }
        if let Some(mut statements) = ordered.remove(&section) {
            statements.sort();
            lines.extend(statements.into_iter().map(|(_, line)| line));
        }
        if !lines.is_empty() {
            sections.insert(section, lines);
        }
    }
    sections
}

/// `from m import a, b` on one line when it fits and has no comments, else one member per
/// line in parentheses, as ruff formats it.
fn format_from(head: &str, members: &[(String, Option<&'static str>)]) -> String {
    let names: Vec<&str> = members.iter().map(|(m, _)| m.as_str()).collect();
    let one_line = format!("{head}{}", names.join(", "));
    let effects: Vec<&str> = members.iter().filter_map(|(_, effect)| *effect).collect();
    match effects.as_slice() {
        [] if one_line.len() <= LINE_LENGTH => return one_line,
        [effect] if members.len() == 1 => return format!("{one_line}{}", effect_comment(effect)),
        _ => {}
    }
    let mut out = format!("{head}(\n");
    for (member, effect) in members {
        out.push_str("    ");
        out.push_str(member);
        out.push(',');
        if let Some(effect) = effect {
            out.push_str(&effect_comment(effect));
        }
        out.push('\n');
    }
    out.push(')');
    out
}

/// The comment that says why an import nothing reads is kept.
fn effect_comment(effect: &str) -> String {
    format!("  # imported for its effect: {effect}")
}

/// The package's dependencies: third-party modules the notebook imports anywhere, and what
/// its `pip install` lines named, sorted and deduplicated.
pub fn dependencies(analysis: &Analysis, options: &Options) -> Vec<String> {
    let written_modules: FxHashSet<&str> = analysis
        .cells
        .iter()
        .flat_map(|c| &c.written_files)
        .filter_map(|f| f.strip_suffix(".py"))
        .collect();
    let mut requirements: BTreeMap<String, String> = BTreeMap::new();
    for cell in &analysis.cells {
        for module in cell.statements.iter().flat_map(|s| &s.modules) {
            let module = module.as_str();
            if module.is_empty()
                || module == SUPPORT_MODULE
                || is_stdlib(module)
                || options.local_modules.contains(module)
                || written_modules.contains(module)
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
        if let Some(requirement) = pip_requirement(package) {
            requirements.insert(requirement_key(&requirement), requirement);
        }
    }
    requirements.into_values().collect()
}

/// A `pip install` argument as a PEP 508 requirement: `numpy>=2` as it is, a URL with an
/// `#egg=NAME` fragment as `NAME @ URL`. A URL without a name, or a local path, is no
/// requirement a `pyproject.toml` can hold (its project is still a dependency if the
/// notebook imports it).
fn pip_requirement(argument: &str) -> Option<String> {
    if argument.contains("://") {
        let name = argument
            .split_once("#egg=")
            .map(|(_, name)| name.split('&').next().unwrap_or_default())
            .filter(|name| !name.is_empty())?;
        return Some(format!("{name} @ {argument}"));
    }
    argument
        .starts_with(|c: char| c.is_ascii_alphanumeric())
        .then(|| argument.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(module: &str, name: Option<&str>) -> ImportBinding {
        ImportBinding {
            module: module.to_owned(),
            name: name.map(str::to_owned),
            alias: None,
            level: 0,
        }
    }

    #[test]
    fn pip_arguments_become_requirements_a_pyproject_holds() {
        assert_eq!(pip_requirement("numpy>=2").as_deref(), Some("numpy>=2"));
        assert_eq!(
            pip_requirement("git+https://github.com/o/r#egg=thing").as_deref(),
            Some("thing @ git+https://github.com/o/r#egg=thing")
        );
        assert_eq!(
            pip_requirement("git+https://github.com/o/stable-baselines3"),
            None
        );
        assert_eq!(pip_requirement("./vendored"), None);
    }

    #[test]
    fn imports_kept_for_their_effect_are_known_by_module() {
        let axes = binding("mpl_toolkits.mplot3d", Some("Axes3D"));
        assert_eq!(
            effect_of(&axes),
            Some("registers matplotlib's `3d` projection")
        );
        let imputer = binding("sklearn.experimental.enable_iterative_imputer", None);
        assert!(effect_of(&imputer).is_some());
        assert_eq!(effect_of(&binding("mpl_toolkits.mplot3dx", None)), None);
        assert_eq!(effect_of(&binding("numpy", None)), None);
    }

    #[test]
    fn a_member_kept_for_its_effect_says_why() {
        let effect = Some("registers matplotlib's `3d` projection");
        assert_eq!(
            format_from(
                "from mpl_toolkits.mplot3d import ",
                &[("Axes3D".to_owned(), effect)]
            ),
            "from mpl_toolkits.mplot3d import Axes3D  # imported for its effect: registers matplotlib's `3d` projection"
        );
        assert_eq!(
            format_from(
                "from os import ",
                &[("path".to_owned(), None), ("sep".to_owned(), None)]
            ),
            "from os import path, sep"
        );
    }
}
