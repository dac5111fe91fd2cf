//! What the analysis knows about each top-level statement of a cell: plain data, filled by
//! the tree walk in `visitor.rs` and read by hazards, the dataflow graph and the lifter.

use std::fmt;
use std::sync::{Mutex, OnceLock};

use rustc_hash::FxHashSet;
use rustpython_parser::text_size::TextRange;
use thin_vec::ThinVec;

use crate::analysis::files::FileAccess;

/// A Python identifier as written. Names are interned: a notebook repeats a few names
/// thousands of times, so each is stored once, and a `Name` is a pointer to its text,
/// compared and hashed by that text. The text lives as long as the process (a few bytes per
/// distinct name).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Name(&'static str);

impl Name {
    pub fn new(text: &str) -> Name {
        static NAMES: OnceLock<Mutex<Interner>> = OnceLock::new();
        let mut interner = NAMES
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&name) = interner.names.get(text) {
            return Name(name);
        }
        let name = interner.store(text);
        interner.names.insert(name);
        Name(name)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

/// The distinct names, and the text they point to: written one after the other into large
/// blocks that are never freed, instead of one small allocation each (a notebook of 100,000
/// cells may hold 300,000 distinct names, and the allocator rounds each up to 32 bytes).
#[derive(Default)]
struct Interner {
    names: FxHashSet<&'static str>,
    /// The unused end of the newest block.
    room: &'static mut [u8],
}

impl Interner {
    const BLOCK: usize = 64 * 1024;

    fn store(&mut self, text: &str) -> &'static str {
        if self.room.len() < text.len() {
            let block = vec![0; Self::BLOCK.max(text.len())];
            self.room = Box::leak(block.into_boxed_slice());
        }
        let (stored, room) = std::mem::take(&mut self.room).split_at_mut(text.len());
        self.room = room;
        stored.copy_from_slice(text.as_bytes());
        // The bytes were copied from a `str`, so they are UTF-8.
        std::str::from_utf8(stored).unwrap_or_default()
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.0
    }
}

/// A name at a place in the cell's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub name: Name,
    pub range: TextRange,
}

/// A module-level binding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub name: Name,
    pub range: TextRange,
    /// Bound only on some paths (inside `if`, `for`, `while`, `try`, `match`).
    pub conditional: bool,
    /// This first binding is a plain `name = …` target (or `with … as name`, a walrus).
    pub plain: bool,
    /// This first binding is the target of a `for` loop at the statement's top level: the
    /// name is bound unless the loop runs no time.
    pub loop_target: bool,
}

/// One name bound by an import statement, keyed as DESIGN.md says: (module, name, alias,
/// level). `import a.b` binds `a` and has `name: None`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImportBinding {
    pub module: String,
    pub name: Option<String>,
    pub alias: Option<String>,
    pub level: u32,
}

impl ImportBinding {
    /// `from .module import name` (`from . import name` when `module` is empty): a module of
    /// the generated package importing another.
    pub fn relative(module: &str, name: &str) -> Self {
        ImportBinding {
            module: module.to_owned(),
            name: Some(name.to_owned()),
            alias: None,
            level: 1,
        }
    }

    /// The local name the import binds.
    pub fn bound_name(&self) -> &str {
        match (&self.alias, &self.name) {
            (Some(alias), _) => alias,
            (None, Some(name)) => name,
            (None, None) => self.module.split('.').next().unwrap_or(&self.module),
        }
    }

    /// The top-level package the import comes from (empty for `from . import x`).
    pub fn top_level_module(&self) -> &str {
        self.module.split('.').next().unwrap_or("")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StmtKind {
    /// `import …` / `from … import …` (not a star import) at the top level of the cell.
    Import(ThinVec<ImportBinding>),
    /// `from module import *` at the top level of the cell.
    StarImport {
        module: Name,
        level: u32,
    },
    /// `def` / `async def` at the top level of the cell.
    Function(Name),
    Class(Name),
    Other,
}

/// Facts of one top-level statement. "Module level" means the notebook's global namespace.
///
/// A notebook keeps one of these per statement alive through lifting, so the layout is kept
/// small: lists most statements have are fields (each an empty pointer when empty), the
/// rest live in one box that most statements never allocate, and lists that would repeat
/// names of other lists keep only what the others lack.
#[derive(Clone, Debug)]
pub struct StmtFacts {
    /// The statement's text, decorators included.
    pub range: TextRange,
    pub kind: StmtKind,
    /// Module-level names the statement reads when it runs, before binding them itself, in
    /// order, each once.
    pub reads: ThinVec<Occurrence>,
    /// Module-level names read by the bodies of functions, lambdas and methods it defines:
    /// read when called, not when defined (late binding). Each once.
    pub late_reads: ThinVec<Occurrence>,
    /// Module-level names bound, each once, in order.
    pub binds: ThinVec<Binding>,
    /// Names whose object is changed in place (method call statement, item or attribute
    /// assignment, `del x[k]`).
    pub mutates: ThinVec<Occurrence>,
    /// Top-level modules imported anywhere inside the statement (for dependencies).
    pub modules: ThinVec<Name>,
    /// For an expression statement, the expression: Jupyter shows its value (`Out[n]`) when
    /// it ends the cell. `print(…)` and `display(…)` calls are left out: they return `None`,
    /// which Jupyter does not show.
    pub expression: Option<ShownExpression>,
    /// Changes where later imports resolve from (`sys.path`, `os.chdir`, written files).
    pub import_barrier: bool,
    /// Uses `await` at the top level (IPython's autoawait).
    pub top_level_await: bool,
    /// Module-level names loaded that are in neither `reads` nor `late_reads`: loaded only
    /// after the statement bound them. See [`StmtFacts::loaded`].
    pub(super) loaded_after_binding: ThinVec<Name>,
    /// Plain bindings of a name after its first binding. See [`StmtFacts::plain_bindings`].
    pub(super) repeated_plain_bindings: ThinVec<Occurrence>,
    pub(super) rare: Option<Box<RareFacts>>,
}

/// A string literal bound to, or passed as, a name like `api_key` (see `analysis::secrets`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralSecret {
    pub name: Name,
    /// The literal.
    pub range: TextRange,
}

/// The facts few statements have.
#[derive(Clone, Debug, Default)]
pub(super) struct RareFacts {
    pub deletes: ThinVec<Occurrence>,
    pub globals: ThinVec<Name>,
    pub literal: Option<LiteralAssignment>,
    pub conditional_reads: ThinVec<Name>,
    pub unused_exception_names: ThinVec<TextRange>,
    pub misplaced_await: Option<TextRange>,
    pub files: ThinVec<FileAccess>,
    pub guarded_reads: ThinVec<Name>,
    pub literal_secrets: ThinVec<LiteralSecret>,
    pub aliases: ThinVec<(Name, Name)>,
    /// A top-level `def` whose body yields: calling it makes a generator.
    pub generator: bool,
}

impl RareFacts {
    fn is_empty(&self) -> bool {
        // Every field by name: a new one cannot be forgotten here (and its facts dropped).
        let RareFacts {
            deletes,
            globals,
            literal,
            conditional_reads,
            unused_exception_names,
            misplaced_await,
            files,
            guarded_reads,
            literal_secrets,
            aliases,
            generator,
        } = self;
        deletes.is_empty()
            && globals.is_empty()
            && literal.is_none()
            && conditional_reads.is_empty()
            && unused_exception_names.is_empty()
            && misplaced_await.is_none()
            && files.is_empty()
            && guarded_reads.is_empty()
            && literal_secrets.is_empty()
            && aliases.is_empty()
            && !generator
    }

    fn shrink_to_fit(&mut self) {
        self.deletes.shrink_to_fit();
        self.globals.shrink_to_fit();
        self.conditional_reads.shrink_to_fit();
        self.unused_exception_names.shrink_to_fit();
        self.files.shrink_to_fit();
        self.guarded_reads.shrink_to_fit();
        self.literal_secrets.shrink_to_fit();
        self.aliases.shrink_to_fit();
    }
}

/// An expression whose value Jupyter may show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShownExpression {
    pub range: TextRange,
    /// Passing it as an argument needs parentheses (a bare tuple, generator, walrus, yield).
    pub needs_parentheses: bool,
}

/// The kind of a literal value, which decides a parameter's type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LiteralKind {
    Int,
    Float,
    Str,
    Bool,
    None,
    /// Lists, tuples, dicts and sets of literals.
    Container,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiteralAssignment {
    pub name: Name,
    pub kind: LiteralKind,
    /// The value's source text range.
    pub value: TextRange,
}

impl StmtFacts {
    pub fn new(range: TextRange) -> Self {
        StmtFacts {
            range,
            kind: StmtKind::Other,
            reads: ThinVec::new(),
            late_reads: ThinVec::new(),
            binds: ThinVec::new(),
            mutates: ThinVec::new(),
            modules: ThinVec::new(),
            expression: None,
            import_barrier: false,
            top_level_await: false,
            loaded_after_binding: ThinVec::new(),
            repeated_plain_bindings: ThinVec::new(),
            rare: None,
        }
    }

    /// The rare facts, to be filled in.
    pub(super) fn rare_mut(&mut self) -> &mut RareFacts {
        self.rare.get_or_insert_with(Default::default)
    }

    fn rare(&self) -> Option<&RareFacts> {
        self.rare.as_deref()
    }

    /// Gives back the room the walk left in each list (most hold a name or two), and the
    /// box of rare facts when nothing went into it.
    pub fn shrink_to_fit(&mut self) {
        self.reads.shrink_to_fit();
        self.late_reads.shrink_to_fit();
        self.binds.shrink_to_fit();
        self.mutates.shrink_to_fit();
        self.modules.shrink_to_fit();
        self.loaded_after_binding.shrink_to_fit();
        self.repeated_plain_bindings.shrink_to_fit();
        match &mut self.rare {
            Some(rare) if rare.is_empty() => self.rare = None,
            Some(rare) => rare.shrink_to_fit(),
            None => {}
        }
    }

    /// Every module-level name the statement reads, now or later.
    pub fn all_reads(&self) -> impl Iterator<Item = &Occurrence> {
        self.reads.iter().chain(&self.late_reads)
    }

    /// Every module-level name the statement loads, now or late; a name read both now and
    /// late comes twice.
    pub fn loaded(&self) -> impl Iterator<Item = &Name> {
        self.all_reads()
            .map(|o| &o.name)
            .chain(&self.loaded_after_binding)
    }

    /// Every plain module-level binding (`name = …`, `with … as name`, walrus), repeats
    /// included: where an unused local would be reported once the code is in a function.
    pub fn plain_bindings(&self) -> impl Iterator<Item = (&Name, TextRange)> {
        let first = self.binds.iter().filter(|b| b.plain);
        first.map(|b| (&b.name, b.range)).chain(
            self.repeated_plain_bindings
                .iter()
                .map(|o| (&o.name, o.range)),
        )
    }

    /// `del name` at module level.
    pub fn deletes(&self) -> &[Occurrence] {
        self.rare().map_or(&[], |r| &r.deletes)
    }

    /// Pairs of module-level names whose objects the statement makes shared: one is the
    /// other (`view = rows`), or holds it (`run = {"settings": settings}`, `d[k] = v`,
    /// `xs.append(x)`). See [`crate::analysis::visitor::aliases`].
    pub fn aliases(&self) -> &[(Name, Name)] {
        self.rare().map_or(&[], |r| &r.aliases)
    }

    /// A top-level `def` of a generator function (its body yields, not only a function
    /// nested in it).
    pub fn defines_generator(&self) -> bool {
        self.rare().is_some_and(|r| r.generator)
    }

    /// Names declared `global` in a function it defines (or at the top level).
    pub fn globals(&self) -> &[Name] {
        self.rare().map_or(&[], |r| &r.globals)
    }

    /// `name = <literal>`: what a `parameters` cell is made of.
    pub fn literal(&self) -> Option<&LiteralAssignment> {
        self.rare().and_then(|r| r.literal.as_ref())
    }

    /// Names among `reads` read only on some paths (in a branch, loop or handler body): a
    /// fresh run may never read them.
    pub fn conditional_reads(&self) -> &[Name] {
        self.rare().map_or(&[], |r| &r.conditional_reads)
    }

    /// Module-level `except … as name:` clauses whose name the handler never reads; the
    /// position is the `except` keyword. Inside a step function such a name is an unused
    /// local.
    pub fn unused_exception_names(&self) -> &[TextRange] {
        self.rare().map_or(&[], |r| &r.unused_exception_names)
    }

    /// The first `await` outside an `async def` (and not at the cell's top level): a syntax
    /// error for Python, though not for the parser.
    pub fn misplaced_await(&self) -> Option<TextRange> {
        self.rare().and_then(|r| r.misplaced_await)
    }

    /// Files read or written at the top level, named by a string literal, in order.
    pub fn files(&self) -> &[FileAccess] {
        self.rare().map_or(&[], |r| &r.files)
    }

    /// Names among `reads` read in a `try` body whose handler catches `NameError`: the code
    /// expects them to be missing, so a missing one is no finding.
    pub fn guarded_reads(&self) -> &[Name] {
        self.rare().map_or(&[], |r| &r.guarded_reads)
    }

    /// Non-empty string literals bound to, or passed as, a name that holds a secret.
    pub fn literal_secrets(&self) -> &[LiteralSecret] {
        self.rare().map_or(&[], |r| &r.literal_secrets)
    }
}
