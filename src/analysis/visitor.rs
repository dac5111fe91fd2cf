//! The tree walk that fills [`StmtFacts`] for one top-level statement, with Python's real
//! scoping rules.
//!
//! A function's locals are every name bound anywhere in its body, so each function scope is
//! first collected (`collect_bindings`) and then walked; names that no enclosing function
//! binds resolve to the module. Class bodies are not visible from the functions inside them;
//! comprehensions have their own scope, except that a walrus binds in the enclosing one.
//! Reads inside a function, lambda or method are late (they happen when it is called);
//! reads in a class body, a decorator, a default value or a module-level comprehension happen
//! at once. Every node is visited a bounded number of times, so the walk is linear.

use rustc_hash::{FxHashMap, FxHashSet};

use rustpython_parser::ast::{self, Expr, Ranged, Stmt};
use rustpython_parser::text_size::TextRange;
use thin_vec::ThinVec;

use crate::analysis::facts::{
    Binding, ImportBinding, LiteralAssignment, LiteralKind, Name, Occurrence, ShownExpression,
    StmtFacts, StmtKind,
};
use crate::analysis::{files, secrets};

/// Calls at module level that change where later imports are found.
const IMPORT_BARRIER_CALLS: &[&str] = &[
    "_nblift.cd",
    "_nblift.writefile",
    "importlib.reload",
    "os.chdir",
    "site.addsitedir",
    "sys.path.append",
    "sys.path.extend",
    "sys.path.insert",
];

/// The facts of one top-level statement. `postponed_annotations`: the cell imports
/// `from __future__ import annotations`, so annotations are strings, never evaluated, and a
/// name read only in one is not a read.
pub fn statement_facts(stmt: &Stmt, postponed_annotations: bool) -> StmtFacts {
    let mut walker = Walker::new(statement_range(stmt));
    walker.postponed_annotations = postponed_annotations;
    walker.facts.kind = statement_kind(stmt);
    if let Some(literal) = literal_assignment(stmt) {
        walker.facts.rare_mut().literal = Some(literal);
    }
    if let Stmt::Expr(e) = stmt {
        walker.facts.expression = shown_expression(&e.value);
    }
    walker.stmt(stmt);
    let mut shared = Vec::new();
    aliases(stmt, &mut shared);
    if !shared.is_empty() {
        walker.facts.rare_mut().aliases = shared.into();
    }
    let facts = &mut walker.facts;
    let (read, late) = (&walker.read_seen, &walker.late_seen);
    facts.loaded_after_binding = walker
        .loaded_order
        .iter()
        .filter(|name| !read.contains(name.as_str()) && !late.contains(name.as_str()))
        .cloned()
        .collect();
    let always = &walker.read_unconditionally;
    let conditional_reads: ThinVec<Name> = facts
        .reads
        .iter()
        .filter(|r| !always.contains(r.name.as_str()))
        .map(|r| r.name.clone())
        .collect();
    if !conditional_reads.is_empty() {
        facts.rare_mut().conditional_reads = conditional_reads;
    }
    walker.facts.shrink_to_fit();
    walker.facts
}

/// Methods that put their arguments inside the object they are called on.
const STORING_METHODS: &[&str] = &["add", "append", "appendleft", "insert", "setdefault"];

/// Pairs of module-level names whose objects `stmt` makes shared, in module-level code (not
/// in the functions and classes it defines): the value of an assignment that is a name or a
/// display of names (`view = rows`, `pair = [a, b]`, `d[k] = v` shares `d` and `v`), and
/// the arguments of a method that stores them (`xs.append(x)`). Where it is not plain (a
/// call, an expression), nothing is shared that the code shows.
pub fn aliases(stmt: &Stmt, out: &mut Vec<(Name, Name)>) {
    let mut share = |target: &Expr, value: &Expr| share(target, value, out);
    match stmt {
        Stmt::Assign(a) => {
            for target in &a.targets {
                match target {
                    // `a, b = c, d`: each name of the target may hold each of the value.
                    Expr::Tuple(t) => t.elts.iter().for_each(|e| share(e, &a.value)),
                    Expr::List(l) => l.elts.iter().for_each(|e| share(e, &a.value)),
                    other => share(other, &a.value),
                }
            }
        }
        Stmt::AnnAssign(a) => {
            if let Some(value) = &a.value {
                share(&a.target, value);
            }
        }
        Stmt::Expr(e) => {
            if let Expr::Call(call) = e.value.as_ref() {
                if let Expr::Attribute(method) = call.func.as_ref() {
                    if STORING_METHODS.contains(&method.attr.as_str()) {
                        for argument in &call.args {
                            share(&method.value, argument);
                        }
                    }
                }
            }
        }
        Stmt::If(s) => s.body.iter().chain(&s.orelse).for_each(|s| aliases(s, out)),
        Stmt::For(s) => s.body.iter().chain(&s.orelse).for_each(|s| aliases(s, out)),
        Stmt::While(s) => s.body.iter().chain(&s.orelse).for_each(|s| aliases(s, out)),
        Stmt::With(s) => s.body.iter().for_each(|s| aliases(s, out)),
        Stmt::Try(s) => s
            .body
            .iter()
            .chain(&s.orelse)
            .chain(&s.finalbody)
            .for_each(|s| aliases(s, out)),
        _ => {}
    }
}

/// `target`'s root name may hold what `value` holds.
fn share(target: &Expr, value: &Expr, out: &mut Vec<(Name, Name)>) {
    let Some(holder) = root_name(target) else {
        return;
    };
    for held in held_names(value) {
        if held.id != holder.id {
            out.push((Name::new(holder.id.as_str()), Name::new(held.id.as_str())));
        }
    }
}

/// The names an expression's value is or directly holds: a name, the elements of a list,
/// tuple or set display, the keys and values of a dict display.
fn held_names(value: &Expr) -> Vec<&ast::ExprName> {
    let elements: Vec<&Expr> = match value {
        Expr::Name(n) => return vec![n],
        Expr::List(l) => l.elts.iter().collect(),
        Expr::Tuple(t) => t.elts.iter().collect(),
        Expr::Set(s) => s.elts.iter().collect(),
        Expr::Dict(d) => d.keys.iter().flatten().chain(&d.values).collect(),
        _ => return Vec::new(),
    };
    elements
        .into_iter()
        .filter_map(|e| match e {
            Expr::Name(n) => Some(n),
            _ => None,
        })
        .collect()
}

fn shown_expression(value: &Expr) -> Option<ShownExpression> {
    if let Expr::Call(call) = value {
        if let Expr::Name(function) = call.func.as_ref() {
            if matches!(function.id.as_str(), "print" | "display") {
                return None;
            }
        }
    }
    let needs_parentheses = matches!(
        value,
        Expr::Tuple(_)
            | Expr::GeneratorExp(_)
            | Expr::NamedExpr(_)
            | Expr::Yield(_)
            | Expr::YieldFrom(_)
            | Expr::Starred(_)
    );
    Some(ShownExpression {
        range: value.range(),
        needs_parentheses,
    })
}

fn literal_assignment(stmt: &Stmt) -> Option<LiteralAssignment> {
    let (target, value) = match stmt {
        Stmt::Assign(a) if a.targets.len() == 1 => (&a.targets[0], a.value.as_ref()),
        Stmt::AnnAssign(a) => (a.target.as_ref(), a.value.as_deref()?),
        _ => return None,
    };
    let Expr::Name(name) = target else {
        return None;
    };
    Some(LiteralAssignment {
        name: Name::new(name.id.as_str()),
        kind: literal_kind(value)?,
        value: value.range(),
    })
}

fn literal_kind(expr: &Expr) -> Option<LiteralKind> {
    match expr {
        Expr::Constant(c) => Some(match &c.value {
            ast::Constant::Int(_) => LiteralKind::Int,
            ast::Constant::Float(_) => LiteralKind::Float,
            ast::Constant::Str(_) => LiteralKind::Str,
            ast::Constant::Bool(_) => LiteralKind::Bool,
            ast::Constant::None => LiteralKind::None,
            _ => return None,
        }),
        Expr::UnaryOp(u) if matches!(u.op, ast::UnaryOp::USub | ast::UnaryOp::UAdd) => {
            literal_kind(&u.operand).filter(|k| matches!(k, LiteralKind::Int | LiteralKind::Float))
        }
        Expr::List(ast::ExprList { elts, .. })
        | Expr::Tuple(ast::ExprTuple { elts, .. })
        | Expr::Set(ast::ExprSet { elts, .. }) => elts
            .iter()
            .all(|e| literal_kind(e).is_some())
            .then_some(LiteralKind::Container),
        Expr::Dict(d) => (d
            .keys
            .iter()
            .flatten()
            .chain(&d.values)
            .all(|e| literal_kind(e).is_some())
            && d.keys.iter().all(Option::is_some))
        .then_some(LiteralKind::Container),
        _ => None,
    }
}

/// The statement's range, starting at its first decorator.
pub fn statement_range(stmt: &Stmt) -> TextRange {
    let decorators = match stmt {
        Stmt::FunctionDef(f) => &f.decorator_list,
        Stmt::AsyncFunctionDef(f) => &f.decorator_list,
        Stmt::ClassDef(c) => &c.decorator_list,
        _ => return stmt.range(),
    };
    match decorators.first() {
        // The decorator's range starts after its `@`, which the line slicing finds again.
        Some(first) => TextRange::new(first.start().min(stmt.start()), stmt.end()),
        None => stmt.range(),
    }
}

fn statement_kind(stmt: &Stmt) -> StmtKind {
    match stmt {
        Stmt::Import(import) => StmtKind::Import(
            import
                .names
                .iter()
                .map(|alias| ImportBinding {
                    module: alias.name.to_string(),
                    name: None,
                    alias: alias.asname.as_ref().map(|a| a.to_string()),
                    level: 0,
                })
                .collect(),
        ),
        Stmt::ImportFrom(import) => {
            let module = import
                .module
                .as_ref()
                .map(|m| m.to_string())
                .unwrap_or_default();
            let level = import.level.map_or(0, |l| l.to_u32());
            if import.names.iter().any(|a| a.name.as_str() == "*") {
                let module = Name::new(&module);
                return StmtKind::StarImport { module, level };
            }
            StmtKind::Import(
                import
                    .names
                    .iter()
                    .map(|alias| ImportBinding {
                        module: module.clone(),
                        name: Some(alias.name.to_string()),
                        alias: alias.asname.as_ref().map(|a| a.to_string()),
                        level,
                    })
                    .collect(),
            )
        }
        Stmt::FunctionDef(f) => StmtKind::Function(Name::new(f.name.as_str())),
        Stmt::AsyncFunctionDef(f) => StmtKind::Function(Name::new(f.name.as_str())),
        Stmt::ClassDef(c) => StmtKind::Class(Name::new(c.name.as_str())),
        _ => StmtKind::Other,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ScopeKind {
    Function,
    Class,
    Comprehension,
}

/// The parts of a `def` or an `async def`: their statements are two types with the same
/// fields.
macro_rules! function_parts {
    ($def:expr, $is_async:expr) => {
        FunctionParts {
            name: &$def.name,
            range: $def.range,
            args: &$def.args,
            body: &$def.body,
            decorators: &$def.decorator_list,
            returns: $def.returns.as_deref(),
            is_async: $is_async,
        }
    };
}

struct FunctionParts<'a> {
    name: &'a str,
    range: TextRange,
    args: &'a ast::Arguments,
    body: &'a [Stmt],
    decorators: &'a [Expr],
    returns: Option<&'a Expr>,
    is_async: bool,
}

struct Scope<'a> {
    kind: ScopeKind,
    locals: FxHashSet<&'a str>,
    globals: FxHashSet<&'a str>,
    /// An `async def`: `await` is allowed directly in it.
    is_async: bool,
}

struct Walker<'a> {
    facts: StmtFacts,
    scopes: Vec<Scope<'a>>,
    /// Annotations are not evaluated (`from __future__ import annotations`).
    postponed_annotations: bool,
    /// Module-level names this statement has bound so far.
    bound: FxHashSet<&'a str>,
    read_seen: FxHashSet<&'a str>,
    late_seen: FxHashSet<&'a str>,
    bind_seen: FxHashSet<&'a str>,
    global_seen: FxHashSet<&'a str>,
    /// How often each module-level name has been loaded so far, counting repeats.
    module_loads: FxHashMap<&'a str, u32>,
    /// Module-level names loaded, in order of first load.
    loaded_order: ThinVec<Name>,
    /// The next module-level binding is a plain `name = …` target.
    next_plain: bool,
    /// The module-level bindings being made are a top-level `for` loop's target.
    in_loop_target: bool,
    /// Module-level names read outside any branch, loop or handler body.
    read_unconditionally: FxHashSet<&'a str>,
    /// Depth of branch, loop, handler and case bodies around the current code.
    branch: u32,
    /// Depth of `if` / loops / `try` / `match` around the current module-level code.
    conditional: u32,
    /// Depth of `try` bodies whose handlers catch `NameError`.
    guarded: u32,
}

impl<'a> Walker<'a> {
    fn new(range: TextRange) -> Self {
        Walker {
            facts: StmtFacts::new(range),
            scopes: Vec::new(),
            postponed_annotations: false,
            bound: FxHashSet::default(),
            read_seen: FxHashSet::default(),
            late_seen: FxHashSet::default(),
            bind_seen: FxHashSet::default(),
            global_seen: FxHashSet::default(),
            module_loads: FxHashMap::default(),
            loaded_order: ThinVec::new(),
            next_plain: false,
            in_loop_target: false,
            guarded: 0,
            read_unconditionally: FxHashSet::default(),
            branch: 0,
            conditional: 0,
        }
    }

    fn at_module_level(&self) -> bool {
        self.scopes.is_empty()
    }

    fn inside_function(&self) -> bool {
        self.scopes.iter().any(|s| s.kind == ScopeKind::Function)
    }

    /// A `yield` here: directly in the body of the statement's own `def` (not of a function
    /// or class nested in it), it makes that function a generator function.
    fn yields(&mut self) {
        let function = self
            .scopes
            .iter()
            .rposition(|s| s.kind != ScopeKind::Comprehension);
        if function == Some(0) && self.scopes[0].kind == ScopeKind::Function {
            self.facts.rare_mut().generator = true;
        }
    }

    /// An `await` (or `async for` / `async with`) here: at the top level a cell awaits (IPython
    /// runs it in its event loop); in a comprehension the enclosing scope decides; anywhere
    /// but an `async def` Python refuses to compile it.
    fn awaits(&mut self, range: TextRange) {
        match self
            .scopes
            .iter()
            .rev()
            .find(|s| s.kind != ScopeKind::Comprehension)
        {
            None => self.facts.top_level_await = true,
            Some(scope) if scope.kind == ScopeKind::Function && scope.is_async => {}
            Some(_) => {
                self.facts.rare_mut().misplaced_await.get_or_insert(range);
            }
        }
    }

    // --- names -------------------------------------------------------------------------

    fn load(&mut self, name: &'a str, range: TextRange) {
        let innermost = self.scopes.len();
        let mut late = false;
        for (depth, scope) in self.scopes.iter().enumerate().rev() {
            if scope.kind == ScopeKind::Class && depth + 1 != innermost {
                continue;
            }
            if scope.globals.contains(name) {
                late = true;
                break;
            }
            if scope.locals.contains(name) {
                return;
            }
            if scope.kind == ScopeKind::Function {
                late = true;
            }
        }
        self.module_read(name, range, late);
    }

    fn module_read(&mut self, name: &'a str, range: TextRange, late: bool) {
        let loads = self.module_loads.entry(name).or_default();
        if *loads == 0 {
            self.loaded_order.push(Name::new(name));
        }
        *loads += 1;
        let occurrence = || Occurrence {
            name: Name::new(name),
            range,
        };
        if late {
            if self.late_seen.insert(name) {
                self.facts.late_reads.push(occurrence());
            }
        } else if !self.bound.contains(name) {
            if self.branch == 0 {
                self.read_unconditionally.insert(name);
            }
            if self.read_seen.insert(name) {
                self.facts.reads.push(occurrence());
                // Only the first read decides: an unguarded one before it is reported.
                if self.guarded > 0 {
                    self.facts.rare_mut().guarded_reads.push(Name::new(name));
                }
            }
        }
    }

    fn module_bind(&mut self, name: &'a str, range: TextRange) {
        let plain = std::mem::take(&mut self.next_plain);
        self.bound.insert(name);
        if self.bind_seen.insert(name) {
            self.facts.binds.push(Binding {
                name: Name::new(name),
                range,
                conditional: self.conditional > 0,
                plain,
                loop_target: self.in_loop_target,
            });
        } else if plain {
            self.facts.repeated_plain_bindings.push(Occurrence {
                name: Name::new(name),
                range,
            });
        }
    }

    fn declare_global(&mut self, name: &'a str) {
        if self.global_seen.insert(name) {
            self.facts.rare_mut().globals.push(Name::new(name));
        }
    }

    /// A name bound by an assignment-like statement in the current scope.
    fn store(&mut self, name: &'a str, range: TextRange) {
        match self.scopes.last() {
            None => self.module_bind(name, range),
            Some(scope) if scope.globals.contains(name) => self.declare_global(name),
            Some(_) => {}
        }
    }

    /// A walrus target: binds in the nearest scope that is not a comprehension.
    fn store_walrus(&mut self, name: &'a str, range: TextRange) {
        self.next_plain = true;
        match self
            .scopes
            .iter()
            .rev()
            .find(|s| s.kind != ScopeKind::Comprehension)
        {
            None => self.module_bind(name, range),
            Some(scope) if scope.globals.contains(name) => self.declare_global(name),
            Some(_) => {}
        }
        self.next_plain = false;
    }

    fn mutate_root(&mut self, expr: &'a Expr) {
        if let Some(root) = root_name(expr) {
            if self.at_module_level() {
                self.facts.mutates.push(Occurrence {
                    name: Name::new(root.id.as_str()),
                    range: root.range,
                });
            }
        }
    }

    // --- statements --------------------------------------------------------------------

    fn body(&mut self, body: &'a [Stmt]) {
        for stmt in body {
            self.stmt(stmt);
        }
    }

    fn conditional_body(&mut self, body: &'a [Stmt]) {
        self.enter_branch();
        self.body(body);
        self.leave_branch();
    }

    /// A body that runs on some paths only: bindings there are conditional, and so are reads.
    fn enter_branch(&mut self) {
        self.conditional += 1;
        self.branch += 1;
    }

    fn leave_branch(&mut self) {
        self.conditional -= 1;
        self.branch -= 1;
    }

    fn stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => self.function_def(function_parts!(f, false)),
            Stmt::AsyncFunctionDef(f) => self.function_def(function_parts!(f, true)),
            Stmt::ClassDef(c) => {
                self.exprs(&c.decorator_list);
                self.exprs(&c.bases);
                for keyword in &c.keywords {
                    self.expr(&keyword.value);
                }
                let mut scope = Scope {
                    kind: ScopeKind::Class,
                    locals: FxHashSet::default(),
                    globals: FxHashSet::default(),
                    is_async: false,
                };
                collect_bindings(&c.body, &mut scope);
                self.scopes.push(scope);
                self.body(&c.body);
                self.scopes.pop();
                self.store(&c.name, c.range);
            }
            Stmt::Return(r) => self.opt_expr(r.value.as_deref()),
            Stmt::Delete(d) => {
                for target in &d.targets {
                    self.delete_target(target);
                }
            }
            Stmt::Assign(a) => {
                self.expr(&a.value);
                for target in &a.targets {
                    self.secret_target(target, &a.value);
                }
                if self.at_module_level()
                    && a.targets
                        .iter()
                        .any(|t| dotted_name(t).as_deref() == Some("sys.path"))
                {
                    self.facts.import_barrier = true;
                }
                for target in &a.targets {
                    self.plain_target(target);
                }
            }
            Stmt::TypeAlias(t) => {
                self.expr(&t.value);
                self.target(&t.name);
            }
            Stmt::AugAssign(a) => {
                self.expr(&a.value);
                match a.target.as_ref() {
                    Expr::Name(n) => {
                        self.load(&n.id, n.range);
                        self.store(&n.id, n.range);
                    }
                    other => {
                        self.expr(other);
                        self.mutate_root(other);
                    }
                }
            }
            Stmt::AnnAssign(a) => {
                // Module and class bodies evaluate variable annotations; functions do not.
                if !self
                    .scopes
                    .last()
                    .is_some_and(|s| s.kind == ScopeKind::Function)
                {
                    self.annotation(Some(&a.annotation));
                }
                if let Some(value) = &a.value {
                    self.expr(value);
                    self.secret_target(&a.target, value);
                    self.plain_target(&a.target);
                } else if !matches!(a.target.as_ref(), Expr::Name(_)) {
                    self.expr(&a.target);
                }
            }
            Stmt::For(f) => self.for_loop(&f.target, &f.iter, &f.body, &f.orelse),
            Stmt::AsyncFor(f) => {
                self.awaits(f.range);
                self.for_loop(&f.target, &f.iter, &f.body, &f.orelse);
            }
            Stmt::While(w) => {
                self.expr(&w.test);
                self.conditional_body(&w.body);
                self.conditional_body(&w.orelse);
            }
            Stmt::If(i) => {
                self.expr(&i.test);
                self.conditional_body(&i.body);
                self.conditional_body(&i.orelse);
            }
            Stmt::With(w) => self.with(&w.items, &w.body),
            Stmt::AsyncWith(w) => {
                self.awaits(w.range);
                self.with(&w.items, &w.body);
            }
            Stmt::Match(m) => {
                self.expr(&m.subject);
                self.enter_branch();
                for case in &m.cases {
                    self.pattern(&case.pattern);
                    self.opt_expr(case.guard.as_deref());
                    self.body(&case.body);
                }
                self.leave_branch();
            }
            Stmt::Raise(r) => {
                self.opt_expr(r.exc.as_deref());
                self.opt_expr(r.cause.as_deref());
            }
            Stmt::Try(t) => self.try_block(&t.body, &t.handlers, &t.orelse, &t.finalbody),
            Stmt::TryStar(t) => self.try_block(&t.body, &t.handlers, &t.orelse, &t.finalbody),
            Stmt::Assert(a) => {
                self.expr(&a.test);
                self.opt_expr(a.msg.as_deref());
            }
            Stmt::Import(import) => {
                for alias in &import.names {
                    self.facts
                        .modules
                        .push(Name::new(distributed_module(alias.name.as_str())));
                    let bound = match &alias.asname {
                        Some(asname) => asname.as_str(),
                        None => alias.name.as_str().split('.').next().unwrap_or_default(),
                    };
                    self.store(bound, alias.range);
                }
            }
            Stmt::ImportFrom(import) => {
                if import.level.map_or(0, |l| l.to_u32()) == 0 {
                    if let Some(module) = &import.module {
                        self.facts
                            .modules
                            .push(Name::new(distributed_module(module.as_str())));
                    }
                }
                for alias in &import.names {
                    if alias.name.as_str() == "*" {
                        continue;
                    }
                    let bound = alias.asname.as_ref().unwrap_or(&alias.name);
                    self.store(bound.as_str(), alias.range);
                }
            }
            Stmt::Global(g) => {
                for name in &g.names {
                    self.declare_global(name.as_str());
                }
            }
            Stmt::Nonlocal(_) | Stmt::Pass(_) | Stmt::Break(_) | Stmt::Continue(_) => {}
            Stmt::Expr(e) => {
                self.expr(&e.value);
                if let Expr::Call(call) = e.value.as_ref() {
                    if let Expr::Attribute(attribute) = call.func.as_ref() {
                        self.mutate_root(&attribute.value);
                    }
                }
            }
        }
    }

    fn function_def(&mut self, def: FunctionParts<'a>) {
        let FunctionParts {
            name,
            range,
            args,
            body,
            decorators,
            returns,
            is_async,
        } = def;
        self.exprs(decorators);
        self.arguments_defaults(args);
        // Annotations are evaluated where the `def` runs, like defaults.
        self.annotation(returns);
        let mut scope = Scope {
            kind: ScopeKind::Function,
            locals: argument_names(args),
            globals: FxHashSet::default(),
            is_async,
        };
        collect_bindings(body, &mut scope);
        self.scopes.push(scope);
        self.body(body);
        self.scopes.pop();
        self.store(name, range);
    }

    /// Defaults and annotations are evaluated where the function is defined.
    fn arguments_defaults(&mut self, args: &'a ast::Arguments) {
        for arg in args
            .posonlyargs
            .iter()
            .chain(&args.args)
            .chain(&args.kwonlyargs)
        {
            self.opt_expr(arg.default.as_deref());
            self.annotation(arg.def.annotation.as_deref());
        }
        for arg in args.vararg.iter().chain(&args.kwarg) {
            self.annotation(arg.annotation.as_deref());
        }
    }

    /// `value` bound to `target` (a name or an attribute): a literal secret, if it is one.
    fn secret_target(&mut self, target: &Expr, value: &Expr) {
        let name = match target {
            Expr::Name(n) => n.id.as_str(),
            Expr::Attribute(a) => a.attr.as_str(),
            _ => return,
        };
        self.secret(name, value);
    }

    fn secret(&mut self, name: &str, value: &Expr) {
        if let Some(secret) = secrets::literal_secret(name, value) {
            self.facts.rare_mut().literal_secrets.push(secret);
        }
    }

    /// An annotation is evaluated where it stands, unless annotations are postponed.
    fn annotation(&mut self, annotation: Option<&'a Expr>) {
        if !self.postponed_annotations {
            self.opt_expr(annotation);
        }
    }

    fn for_loop(&mut self, target: &'a Expr, iter: &'a Expr, body: &'a [Stmt], orelse: &'a [Stmt]) {
        self.expr(iter);
        let top_level = self.conditional == 0 && self.at_module_level();
        self.enter_branch();
        self.in_loop_target = top_level;
        self.target(target);
        self.in_loop_target = false;
        self.body(body);
        self.body(orelse);
        self.leave_branch();
    }

    fn with(&mut self, items: &'a [ast::WithItem], body: &'a [Stmt]) {
        for item in items {
            self.expr(&item.context_expr);
            if let Some(vars) = &item.optional_vars {
                self.plain_target(vars);
            }
        }
        self.body(body);
    }

    /// An assignment target whose names are plain bindings (a name, or names unpacked from
    /// a tuple or list), as opposed to loop targets.
    fn plain_target(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(_) => {
                self.next_plain = true;
                self.target(target);
                self.next_plain = false;
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.plain_target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.plain_target(e)),
            Expr::Starred(s) => self.plain_target(&s.value),
            other => self.target(other),
        }
    }

    fn try_block(
        &mut self,
        body: &'a [Stmt],
        handlers: &'a [ast::ExceptHandler],
        orelse: &'a [Stmt],
        finalbody: &'a [Stmt],
    ) {
        // The body runs until something raises: its bindings may not happen, its reads do.
        // A handler for `NameError` means the body expects names that may be missing.
        let guards = handlers
            .iter()
            .any(|ast::ExceptHandler::ExceptHandler(h)| catches_name_error(h.type_.as_deref()));
        self.conditional += 1;
        self.guarded += u32::from(guards);
        self.body(body);
        self.guarded -= u32::from(guards);
        self.conditional -= 1;
        self.enter_branch();
        for ast::ExceptHandler::ExceptHandler(handler) in handlers {
            self.opt_expr(handler.type_.as_deref());
            if let Some(name) = &handler.name {
                self.store(name.as_str(), handler.range);
            }
            let loads_before = handler
                .name
                .as_ref()
                .map(|n| self.module_loads.get(n.as_str()).copied().unwrap_or(0));
            self.body(&handler.body);
            if let (Some(name), Some(before)) = (&handler.name, loads_before) {
                let unread = self.module_loads.get(name.as_str()).copied().unwrap_or(0) == before;
                if unread && self.at_module_level() {
                    self.facts
                        .rare_mut()
                        .unused_exception_names
                        .push(TextRange::empty(handler.range.start()));
                }
            }
            // `except E as e` unbinds `e` when the handler ends.
            if let Some(name) = &handler.name {
                if self.at_module_level() {
                    self.facts.rare_mut().deletes.push(Occurrence {
                        name: Name::new(name),
                        range: handler.range,
                    });
                    self.bound.remove(name.as_str());
                }
            }
        }
        self.body(orelse);
        self.leave_branch();
        self.body(finalbody);
    }

    fn pattern(&mut self, pattern: &'a ast::Pattern) {
        match pattern {
            ast::Pattern::MatchValue(p) => self.expr(&p.value),
            ast::Pattern::MatchSingleton(_) => {}
            ast::Pattern::MatchSequence(p) => p.patterns.iter().for_each(|p| self.pattern(p)),
            ast::Pattern::MatchMapping(p) => {
                self.exprs(&p.keys);
                p.patterns.iter().for_each(|p| self.pattern(p));
                if let Some(rest) = &p.rest {
                    self.store(rest.as_str(), p.range);
                }
            }
            ast::Pattern::MatchClass(p) => {
                self.expr(&p.cls);
                p.patterns
                    .iter()
                    .chain(&p.kwd_patterns)
                    .for_each(|p| self.pattern(p));
            }
            ast::Pattern::MatchStar(p) => {
                if let Some(name) = &p.name {
                    self.store(name.as_str(), p.range);
                }
            }
            ast::Pattern::MatchAs(p) => {
                if let Some(inner) = &p.pattern {
                    self.pattern(inner);
                }
                if let Some(name) = &p.name {
                    self.store(name.as_str(), p.range);
                }
            }
            ast::Pattern::MatchOr(p) => p.patterns.iter().for_each(|p| self.pattern(p)),
        }
    }

    /// An assignment target: names are bound, anything else is read and mutated.
    fn target(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(n) => self.store(&n.id, n.range),
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.target(e)),
            Expr::Starred(s) => self.target(&s.value),
            Expr::Attribute(a) => {
                self.expr(&a.value);
                self.mutate_root(target);
            }
            Expr::Subscript(s) => {
                self.expr(&s.value);
                self.expr(&s.slice);
                self.mutate_root(target);
            }
            other => self.expr(other),
        }
    }

    fn delete_target(&mut self, target: &'a Expr) {
        match target {
            Expr::Name(n) => {
                if self.at_module_level() {
                    self.load(&n.id, n.range);
                    self.facts.rare_mut().deletes.push(Occurrence {
                        name: Name::new(n.id.as_str()),
                        range: n.range,
                    });
                    self.bound.remove(n.id.as_str());
                } else if self
                    .scopes
                    .last()
                    .is_some_and(|s| s.globals.contains(n.id.as_str()))
                {
                    self.declare_global(&n.id);
                }
            }
            Expr::Tuple(t) => t.elts.iter().for_each(|e| self.delete_target(e)),
            Expr::List(l) => l.elts.iter().for_each(|e| self.delete_target(e)),
            other => {
                self.expr(other);
                self.mutate_root(other);
            }
        }
    }

    // --- expressions -------------------------------------------------------------------

    fn exprs(&mut self, exprs: &'a [Expr]) {
        for expr in exprs {
            self.expr(expr);
        }
    }

    fn opt_expr(&mut self, expr: Option<&'a Expr>) {
        if let Some(expr) = expr {
            self.expr(expr);
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Name(n) => self.load(&n.id, n.range),
            Expr::NamedExpr(n) => {
                self.expr(&n.value);
                if let Expr::Name(target) = n.target.as_ref() {
                    self.store_walrus(&target.id, target.range);
                }
            }
            Expr::Lambda(l) => {
                self.arguments_defaults(&l.args);
                let mut scope = Scope {
                    kind: ScopeKind::Function,
                    locals: argument_names(&l.args),
                    globals: FxHashSet::default(),
                    is_async: false,
                };
                collect_expr_walrus(&l.body, &mut scope.locals);
                self.scopes.push(scope);
                self.expr(&l.body);
                self.scopes.pop();
            }
            Expr::ListComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::SetComp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::GeneratorExp(c) => self.comprehension(&c.generators, &[&c.elt]),
            Expr::DictComp(c) => self.comprehension(&c.generators, &[&c.key, &c.value]),
            Expr::Call(call) => {
                if self.at_module_level() {
                    if let Some(dotted) = dotted_name(&call.func) {
                        if IMPORT_BARRIER_CALLS.contains(&dotted.as_str()) {
                            self.facts.import_barrier = true;
                        }
                    }
                    if let Some(access) = files::access(call) {
                        self.facts.rare_mut().files.push(access);
                    }
                }
                self.expr(&call.func);
                self.exprs(&call.args);
                for keyword in &call.keywords {
                    if let Some(name) = &keyword.arg {
                        self.secret(name.as_str(), &keyword.value);
                    }
                    self.expr(&keyword.value);
                }
            }
            Expr::Await(a) => {
                self.awaits(a.range);
                self.expr(&a.value);
            }
            Expr::BoolOp(b) => self.exprs(&b.values),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::UnaryOp(u) => self.expr(&u.operand),
            Expr::IfExp(i) => {
                self.expr(&i.test);
                self.expr(&i.body);
                self.expr(&i.orelse);
            }
            Expr::Dict(d) => {
                for key in d.keys.iter().flatten() {
                    self.expr(key);
                }
                self.exprs(&d.values);
            }
            Expr::Set(s) => self.exprs(&s.elts),
            Expr::Yield(y) => {
                self.yields();
                self.opt_expr(y.value.as_deref());
            }
            Expr::YieldFrom(y) => {
                self.yields();
                self.expr(&y.value);
            }
            Expr::Compare(c) => {
                self.expr(&c.left);
                self.exprs(&c.comparators);
            }
            Expr::FormattedValue(f) => {
                self.expr(&f.value);
                self.opt_expr(f.format_spec.as_deref());
            }
            Expr::JoinedStr(j) => self.exprs(&j.values),
            Expr::Constant(_) => {}
            Expr::Attribute(a) => self.expr(&a.value),
            Expr::Subscript(s) => {
                self.expr(&s.value);
                self.expr(&s.slice);
            }
            Expr::Starred(s) => self.expr(&s.value),
            Expr::List(l) => self.exprs(&l.elts),
            Expr::Tuple(t) => self.exprs(&t.elts),
            Expr::Slice(s) => {
                self.opt_expr(s.lower.as_deref());
                self.opt_expr(s.upper.as_deref());
                self.opt_expr(s.step.as_deref());
            }
        }
    }

    /// The first iterable is evaluated in the enclosing scope, the rest in the
    /// comprehension's own scope, where its targets are bound.
    fn comprehension(&mut self, generators: &'a [ast::Comprehension], elements: &[&'a Expr]) {
        let Some((first, _)) = generators.split_first() else {
            return;
        };
        if generators.iter().any(|g| g.is_async) && !self.inside_function() {
            self.facts.top_level_await = true;
        }
        self.expr(&first.iter);
        let mut locals = FxHashSet::default();
        for generator in generators {
            collect_target_names(&generator.target, &mut locals);
        }
        self.scopes.push(Scope {
            kind: ScopeKind::Comprehension,
            locals,
            globals: FxHashSet::default(),
            is_async: false,
        });
        for (index, generator) in generators.iter().enumerate() {
            if index > 0 {
                self.expr(&generator.iter);
            }
            self.exprs(&generator.ifs);
        }
        for element in elements {
            self.expr(element);
        }
        self.scopes.pop();
        // Walrus targets inside were bound by `store_walrus` as they were met.
    }
}

// --- collecting a scope's bindings ahead of walking it ------------------------------------

fn argument_names(args: &ast::Arguments) -> FxHashSet<&str> {
    let mut names: FxHashSet<&str> = args
        .posonlyargs
        .iter()
        .chain(&args.args)
        .chain(&args.kwonlyargs)
        .map(|a| a.def.arg.as_str())
        .collect();
    names.extend(
        args.vararg
            .iter()
            .chain(&args.kwarg)
            .map(|a| a.arg.as_str()),
    );
    names
}

/// Every name a function or class body binds in its own scope, and its `global` names.
fn collect_bindings<'a>(body: &'a [Stmt], scope: &mut Scope<'a>) {
    for stmt in body {
        collect_stmt(stmt, scope);
    }
    for global in &scope.globals {
        scope.locals.remove(global);
    }
}

fn collect_stmt<'a>(stmt: &'a Stmt, scope: &mut Scope<'a>) {
    match stmt {
        // A definition binds its name; a walrus in a decorator binds in this scope too.
        Stmt::FunctionDef(ast::StmtFunctionDef {
            name,
            decorator_list,
            ..
        })
        | Stmt::AsyncFunctionDef(ast::StmtAsyncFunctionDef {
            name,
            decorator_list,
            ..
        })
        | Stmt::ClassDef(ast::StmtClassDef {
            name,
            decorator_list,
            ..
        }) => {
            scope.locals.insert(name.as_str());
            decorator_list
                .iter()
                .for_each(|e| collect_expr_walrus(e, &mut scope.locals));
        }
        Stmt::Assign(a) => {
            a.targets
                .iter()
                .for_each(|t| collect_target_names(t, &mut scope.locals));
            collect_expr_walrus(&a.value, &mut scope.locals);
        }
        Stmt::AugAssign(a) => {
            collect_target_names(&a.target, &mut scope.locals);
            collect_expr_walrus(&a.value, &mut scope.locals);
        }
        Stmt::AnnAssign(a) => {
            if a.value.is_some() {
                collect_target_names(&a.target, &mut scope.locals);
            } else if let Expr::Name(n) = a.target.as_ref() {
                scope.locals.insert(n.id.as_str());
            }
        }
        Stmt::TypeAlias(t) => collect_target_names(&t.name, &mut scope.locals),
        Stmt::For(f) => collect_for(&f.target, &f.iter, &f.body, &f.orelse, scope),
        Stmt::AsyncFor(f) => collect_for(&f.target, &f.iter, &f.body, &f.orelse, scope),
        Stmt::While(w) => {
            collect_expr_walrus(&w.test, &mut scope.locals);
            w.body
                .iter()
                .chain(&w.orelse)
                .for_each(|s| collect_stmt(s, scope));
        }
        Stmt::If(i) => {
            collect_expr_walrus(&i.test, &mut scope.locals);
            i.body
                .iter()
                .chain(&i.orelse)
                .for_each(|s| collect_stmt(s, scope));
        }
        Stmt::With(w) => collect_with(&w.items, &w.body, scope),
        Stmt::AsyncWith(w) => collect_with(&w.items, &w.body, scope),
        Stmt::Match(m) => {
            for case in &m.cases {
                collect_pattern_names(&case.pattern, &mut scope.locals);
                case.body.iter().for_each(|s| collect_stmt(s, scope));
            }
        }
        Stmt::Try(t) => collect_try(&t.body, &t.handlers, &t.orelse, &t.finalbody, scope),
        Stmt::TryStar(t) => collect_try(&t.body, &t.handlers, &t.orelse, &t.finalbody, scope),
        Stmt::Import(import) => {
            for alias in &import.names {
                let bound = match &alias.asname {
                    Some(asname) => asname.as_str(),
                    None => alias.name.as_str().split('.').next().unwrap_or_default(),
                };
                scope.locals.insert(bound);
            }
        }
        Stmt::ImportFrom(import) => {
            for alias in &import.names {
                scope
                    .locals
                    .insert(alias.asname.as_ref().unwrap_or(&alias.name).as_str());
            }
        }
        Stmt::Global(g) => scope.globals.extend(g.names.iter().map(|n| n.as_str())),
        // `nonlocal` names belong to an enclosing function, which binds them itself.
        Stmt::Nonlocal(n) => {
            for name in &n.names {
                scope.globals.remove(name.as_str());
            }
        }
        Stmt::Delete(d) => d
            .targets
            .iter()
            .for_each(|t| collect_target_names(t, &mut scope.locals)),
        Stmt::Expr(e) => collect_expr_walrus(&e.value, &mut scope.locals),
        Stmt::Return(r) => {
            if let Some(value) = &r.value {
                collect_expr_walrus(value, &mut scope.locals);
            }
        }
        _ => {}
    }
}

fn collect_for<'a>(
    target: &'a Expr,
    iter: &'a Expr,
    body: &'a [Stmt],
    orelse: &'a [Stmt],
    scope: &mut Scope<'a>,
) {
    collect_target_names(target, &mut scope.locals);
    collect_expr_walrus(iter, &mut scope.locals);
    body.iter()
        .chain(orelse)
        .for_each(|s| collect_stmt(s, scope));
}

fn collect_with<'a>(items: &'a [ast::WithItem], body: &'a [Stmt], scope: &mut Scope<'a>) {
    for item in items {
        collect_expr_walrus(&item.context_expr, &mut scope.locals);
        if let Some(vars) = &item.optional_vars {
            collect_target_names(vars, &mut scope.locals);
        }
    }
    body.iter().for_each(|s| collect_stmt(s, scope));
}

fn collect_try<'a>(
    body: &'a [Stmt],
    handlers: &'a [ast::ExceptHandler],
    orelse: &'a [Stmt],
    finalbody: &'a [Stmt],
    scope: &mut Scope<'a>,
) {
    body.iter()
        .chain(orelse)
        .chain(finalbody)
        .for_each(|s| collect_stmt(s, scope));
    for ast::ExceptHandler::ExceptHandler(handler) in handlers {
        if let Some(name) = &handler.name {
            scope.locals.insert(name.as_str());
        }
        handler.body.iter().for_each(|s| collect_stmt(s, scope));
    }
}

fn collect_target_names<'a>(target: &'a Expr, names: &mut FxHashSet<&'a str>) {
    match target {
        Expr::Name(n) => {
            names.insert(n.id.as_str());
        }
        Expr::Tuple(t) => t.elts.iter().for_each(|e| collect_target_names(e, names)),
        Expr::List(l) => l.elts.iter().for_each(|e| collect_target_names(e, names)),
        Expr::Starred(s) => collect_target_names(&s.value, names),
        _ => {}
    }
}

fn collect_pattern_names<'a>(pattern: &'a ast::Pattern, names: &mut FxHashSet<&'a str>) {
    match pattern {
        ast::Pattern::MatchAs(p) => {
            if let Some(name) = &p.name {
                names.insert(name.as_str());
            }
            if let Some(inner) = &p.pattern {
                collect_pattern_names(inner, names);
            }
        }
        ast::Pattern::MatchStar(p) => {
            if let Some(name) = &p.name {
                names.insert(name.as_str());
            }
        }
        ast::Pattern::MatchMapping(p) => {
            p.patterns
                .iter()
                .for_each(|p| collect_pattern_names(p, names));
            if let Some(rest) = &p.rest {
                names.insert(rest.as_str());
            }
        }
        ast::Pattern::MatchSequence(p) => p
            .patterns
            .iter()
            .for_each(|p| collect_pattern_names(p, names)),
        ast::Pattern::MatchClass(p) => {
            p.patterns
                .iter()
                .chain(&p.kwd_patterns)
                .for_each(|p| collect_pattern_names(p, names));
        }
        ast::Pattern::MatchOr(p) => p
            .patterns
            .iter()
            .for_each(|p| collect_pattern_names(p, names)),
        ast::Pattern::MatchValue(_) | ast::Pattern::MatchSingleton(_) => {}
    }
}

/// Walrus targets in an expression bind in the enclosing function, even from inside a
/// comprehension; lambdas are scopes of their own and are not entered.
fn collect_expr_walrus<'a>(expr: &'a Expr, names: &mut FxHashSet<&'a str>) {
    // Every variant is named, with no catch-all: an expression that can hold a walrus and is
    // not walked here would make a name the notebook binds look undefined (NB308).
    let mut walk = |e: &'a Expr| collect_expr_walrus(e, names);
    match expr {
        Expr::NamedExpr(n) => {
            collect_target_names(&n.target, names);
            collect_expr_walrus(&n.value, names);
        }
        // A lambda's body is its own scope; a walrus cannot bind there for the cell.
        Expr::Lambda(_) | Expr::Constant(_) | Expr::Name(_) => {}
        Expr::ListComp(c) => {
            c.generators.iter().for_each(|g| {
                walk(&g.iter);
                g.ifs.iter().for_each(&mut walk);
            });
            walk(&c.elt);
        }
        Expr::SetComp(c) => {
            c.generators.iter().for_each(|g| {
                walk(&g.iter);
                g.ifs.iter().for_each(&mut walk);
            });
            walk(&c.elt);
        }
        Expr::GeneratorExp(c) => {
            c.generators.iter().for_each(|g| {
                walk(&g.iter);
                g.ifs.iter().for_each(&mut walk);
            });
            walk(&c.elt);
        }
        Expr::DictComp(c) => {
            c.generators.iter().for_each(|g| {
                walk(&g.iter);
                g.ifs.iter().for_each(&mut walk);
            });
            walk(&c.key);
            walk(&c.value);
        }
        Expr::Call(c) => {
            walk(&c.func);
            c.args.iter().for_each(&mut walk);
            c.keywords.iter().for_each(|k| walk(&k.value));
        }
        Expr::BoolOp(b) => b.values.iter().for_each(walk),
        Expr::BinOp(b) => {
            walk(&b.left);
            walk(&b.right);
        }
        Expr::UnaryOp(u) => walk(&u.operand),
        Expr::IfExp(i) => {
            walk(&i.test);
            walk(&i.body);
            walk(&i.orelse);
        }
        Expr::Compare(c) => {
            walk(&c.left);
            c.comparators.iter().for_each(walk);
        }
        Expr::Dict(d) => {
            d.keys.iter().flatten().for_each(&mut walk);
            d.values.iter().for_each(walk);
        }
        Expr::Set(set) => set.elts.iter().for_each(walk),
        Expr::Tuple(t) => t.elts.iter().for_each(walk),
        Expr::List(l) => l.elts.iter().for_each(walk),
        Expr::JoinedStr(j) => j.values.iter().for_each(walk),
        Expr::FormattedValue(f) => {
            walk(&f.value);
            if let Some(spec) = &f.format_spec {
                walk(spec);
            }
        }
        Expr::Subscript(s) => {
            walk(&s.value);
            walk(&s.slice);
        }
        Expr::Slice(s) => {
            for part in [&s.lower, &s.upper, &s.step].into_iter().flatten() {
                walk(part);
            }
        }
        Expr::Attribute(a) => walk(&a.value),
        Expr::Await(a) => walk(&a.value),
        Expr::Yield(y) => {
            if let Some(value) = &y.value {
                walk(value);
            }
        }
        Expr::YieldFrom(y) => walk(&y.value),
        Expr::Starred(s) => walk(&s.value),
    }
}

// --- small helpers ----------------------------------------------------------------------

/// `a.b.c` for a chain of attributes on a name.
pub fn dotted_name(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(n) => Some(n.id.to_string()),
        Expr::Attribute(a) => dotted_name(&a.value).map(|base| format!("{base}.{}", a.attr)),
        _ => None,
    }
}

/// The name at the root of `x.a[0].b`.
fn root_name(expr: &Expr) -> Option<&ast::ExprName> {
    match expr {
        Expr::Name(n) => Some(n),
        Expr::Attribute(a) => root_name(&a.value),
        Expr::Subscript(s) => root_name(&s.value),
        _ => None,
    }
}

/// Whether an `except` clause catches `NameError`: bare, `NameError`, its bases, or a tuple
/// holding one of them.
fn catches_name_error(kind: Option<&ast::Expr>) -> bool {
    match kind {
        None => true,
        Some(ast::Expr::Name(name)) => {
            matches!(
                name.id.as_str(),
                "NameError" | "Exception" | "BaseException"
            )
        }
        Some(ast::Expr::Tuple(tuple)) => tuple.elts.iter().any(|e| catches_name_error(Some(e))),
        Some(_) => false,
    }
}

/// The part of an imported module's dotted name that says which distribution ships it: its
/// top-level package, or its first two parts under a namespace package that several
/// distributions share (`mpl_toolkits.basemap` is basemap's, `mpl_toolkits.mplot3d`
/// matplotlib's).
fn distributed_module(module: &str) -> &str {
    const NAMESPACE_PACKAGES: &[&str] = &["google", "mpl_toolkits"];
    let mut parts = module.splitn(3, '.');
    let top = parts.next().unwrap_or_default();
    match parts.next() {
        Some(second) if NAMESPACE_PACKAGES.contains(&top) => {
            &module[..top.len() + 1 + second.len()]
        }
        _ => top,
    }
}

#[cfg(test)]
mod tests {
    use crate::analysis::parse::parse_cell;
    use crate::diagnostic::CellId;

    /// One line per statement: its non-empty facts, `?` marking conditional bindings.
    fn check(source: &str, expect: &[&str]) {
        let statements = parse_cell(CellId(0), source, false).unwrap();
        let got: Vec<String> = statements
            .iter()
            .map(|s| {
                let names = |list: Vec<String>| list.join(" ");
                let mut parts = Vec::new();
                let mut push = |label: &str, list: Vec<String>| {
                    if !list.is_empty() {
                        parts.push(format!("{label}: {}", names(list)));
                    }
                };
                push(
                    "reads",
                    s.reads.iter().map(|o| o.name.as_str().to_owned()).collect(),
                );
                push(
                    "late",
                    s.late_reads
                        .iter()
                        .map(|o| o.name.as_str().to_owned())
                        .collect(),
                );
                push(
                    "binds",
                    s.binds
                        .iter()
                        .map(|b| format!("{}{}", b.name, if b.conditional { "?" } else { "" }))
                        .collect(),
                );
                push(
                    "mutates",
                    s.mutates
                        .iter()
                        .map(|o| o.name.as_str().to_owned())
                        .collect(),
                );
                push(
                    "deletes",
                    s.deletes()
                        .iter()
                        .map(|o| o.name.as_str().to_owned())
                        .collect(),
                );
                push(
                    "globals",
                    s.globals().iter().map(|n| n.as_str().to_owned()).collect(),
                );
                parts.join("; ")
            })
            .collect();
        assert_eq!(got, expect, "{source}");
    }

    #[test]
    fn assignments_read_their_value_before_binding() {
        check("x = x + 1", &["reads: x; binds: x"]);
        check("a, *b = f(c)", &["reads: f c; binds: a b"]);
        check("n += 1", &["reads: n; binds: n"]);
        check("total: int = start", &["reads: int start; binds: total"]);
    }

    #[test]
    fn functions_read_late_and_their_defaults_at_once() {
        check(
            "@wrap(level)\ndef f(x, y=default) -> T:\n    z = x + rate\n    return helper(z)",
            &["reads: wrap level default T; late: rate helper; binds: f"],
        );
        check("g = lambda v: v * factor", &["late: factor; binds: g"]);
        check(
            "def outer():\n    a = 1\n    def inner():\n        return a + b\n    return inner",
            &["late: b; binds: outer"],
        );
    }

    #[test]
    fn class_bodies_run_at_once_but_methods_skip_the_class_scope() {
        check(
            "class A(Base):\n    k = CONST\n    ks = [k]\n    def m(self):\n        return k",
            &["reads: Base CONST; late: k; binds: A"],
        );
    }

    #[test]
    fn comprehensions_have_their_own_scope_except_for_walrus() {
        check(
            "ys = [y for x in xs if (y := x * w) > 0]",
            &["reads: xs w; binds: y ys"],
        );
        check("s = {k: v for k, v in d.items()}", &["reads: d; binds: s"]);
    }

    #[test]
    fn control_flow_binds_conditionally() {
        check(
            "for i in items:\n    last = i",
            &["reads: items; binds: i? last?"],
        );
        check(
            "try:\n    import tomllib\nexcept ImportError as err:\n    tomllib = None",
            &["reads: ImportError; binds: tomllib? err?; deletes: err"],
        );
        check(
            "with open(p) as fh:\n    text = fh.read()",
            &["reads: open p; binds: fh text"],
        );
        check(
            "match cmd:\n    case [\"go\", where]:\n        pass\n    case Point(x=px):\n        pass",
            &["reads: cmd Point; binds: where? px?"],
        );
    }

    #[test]
    fn only_a_top_level_for_binds_its_target_as_a_loop_target() {
        let loop_targets = |source: &str| -> Vec<String> {
            parse_cell(CellId(0), source, false).unwrap()[0]
                .binds
                .iter()
                .filter(|b| b.loop_target)
                .map(|b| b.name.as_str().to_owned())
                .collect()
        };
        assert_eq!(
            loop_targets("for (k, v), w in pairs:\n    last = k"),
            ["k", "v", "w"]
        );
        assert!(loop_targets("if ready:\n    for k in keys:\n        pass").is_empty());
        assert!(loop_targets("while more:\n    for k in keys:\n        pass").is_empty());
        assert!(loop_targets("def f():\n    for k in keys:\n        pass").is_empty());
        assert!(loop_targets("k = [k for k in keys]").is_empty());
    }

    #[test]
    fn mutations_and_deletions() {
        check("df.dropna(inplace=True)", &["reads: df; mutates: df"]);
        check("d[k] = v", &["reads: v d k; mutates: d"]);
        check("obj.attr.x = 1", &["reads: obj; mutates: obj"]);
        check("del x", &["reads: x; deletes: x"]);
        check("del d[k]", &["reads: d k; mutates: d"]);
        check("print(df.head())", &["reads: print df"]);
    }

    #[test]
    fn a_def_whose_own_body_yields_defines_a_generator() {
        let generator =
            |source: &str| parse_cell(CellId(0), source, false).unwrap()[0].defines_generator();
        assert!(generator(
            "def f(n):\n    for i in range(n):\n        yield i"
        ));
        assert!(generator("async def f(xs):\n    yield (x for x in xs)"));
        assert!(generator("def f(xs):\n    total = yield from xs"));
        // A function or class nested in it yields, or a generator expression: not its own.
        assert!(!generator(
            "def f():\n    def g():\n        yield 1\n    return g"
        ));
        assert!(!generator(
            "class C:\n    def __iter__(self):\n        yield 1"
        ));
        assert!(!generator("def f(xs):\n    return (x for x in xs)"));
        assert!(!generator("squares = (x * x for x in range(3))"));
    }

    /// The name pairs each statement of `source` makes share objects, `holder>held`.
    fn shared(source: &str) -> Vec<String> {
        parse_cell(CellId(0), source, false)
            .unwrap()
            .iter()
            .flat_map(|s| s.aliases().iter().map(|(a, b)| format!("{a}>{b}")))
            .collect()
    }

    #[test]
    fn names_share_objects_through_assignments_displays_and_storing_methods() {
        assert_eq!(shared("view = rows"), ["view>rows"]);
        assert_eq!(
            shared("run = {\"settings\": settings, key: 1}"),
            ["run>key", "run>settings"]
        );
        assert_eq!(shared("d[k] = v\nobj.part = piece"), ["d>v", "obj>piece"]);
        assert_eq!(shared("for x in xs:\n    out.append(x)"), ["out>x"]);
        assert_eq!(shared("a, b = c, d"), ["a>c", "a>d", "b>c", "b>d"]);
    }

    #[test]
    fn copies_calls_and_functions_share_nothing_the_code_shows() {
        for source in [
            "view = rows.copy()",
            "view = list(rows)",
            "total = a + b",
            "x = x",
            "def f():\n    view = rows",
            "out.extend(xs)",
        ] {
            assert!(shared(source).is_empty(), "{source}");
        }
    }

    #[test]
    fn global_declarations_bind_at_module_level_when_called() {
        check(
            "def bump():\n    global counter\n    counter += 1",
            &["late: counter; binds: bump; globals: counter"],
        );
    }

    #[test]
    fn postponed_annotations_are_not_reads() {
        check(
            "def area(shape: Shape) -> Size:\n    return shape.size",
            &["reads: Shape Size; binds: area"],
        );
        check(
            "from __future__ import annotations\ndef area(shape: Shape) -> Size:\n    return shape.size\nlimit: Limit = 3",
            &["binds: annotations", "binds: area", "binds: limit"],
        );
        // IPython keeps the future import in force for the cells after it.
        let later = parse_cell(CellId(1), "def area(shape: Shape):\n    pass", true).unwrap();
        assert!(later[0].reads.is_empty());
    }
}
