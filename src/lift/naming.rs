//! Python identifiers for the package and its steps: valid, not keywords, and never equal to
//! a name the notebook or the generated code already uses.

use crate::analysis::builtins::is_builtin;
use rustc_hash::FxHashSet;

const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "case", "class",
    "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if",
    "import", "in", "is", "lambda", "match", "nonlocal", "not", "or", "pass", "raise", "return",
    "try", "type", "while", "with", "yield",
];

/// Lowercase snake case of `text`: letters and digits kept, everything else one `_`; cut at
/// a word boundary to at most `max_len` characters where the first word allows.
pub fn snake_case(text: &str, max_len: usize) -> String {
    let mut out = String::new();
    for word in text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        let word = word.to_ascii_lowercase();
        let needed = if out.is_empty() {
            word.len()
        } else {
            out.len() + 1 + word.len()
        };
        if needed > max_len {
            if out.is_empty() {
                out = word[..max_len].to_owned();
            }
            break;
        }
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(&word);
    }
    out
}

/// A valid identifier from `text`, or `fallback` when nothing usable is left.
pub fn identifier(text: &str, fallback: &str, max_len: usize) -> String {
    let mut name = snake_case(text, max_len);
    if name.is_empty() {
        name = fallback.to_owned();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("{fallback}_{name}");
    }
    if KEYWORDS.contains(&name.as_str()) {
        name.push('_');
    }
    name
}

/// A step's name has at most this many words.
pub const MAX_WORDS: usize = 4;

/// Words a heading uses that say nothing about what its step does.
const FILLER: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "can", "do", "does", "first", "for", "from", "here",
    "how", "i", "in", "into", "is", "it", "its", "let", "lets", "let's", "me", "my", "next", "now",
    "of", "on", "our", "out", "part", "s", "section", "so", "some", "step", "that", "the", "then",
    "this", "to", "up", "us", "we", "what", "will", "with", "you", "your", "finally", "also",
    "just", "very",
];

/// The words of `text` with markup left out: HTML tags (`<a id=…>`, `<font>`), the targets of
/// Markdown links, and emphasis.
fn plain_words(text: &str) -> Vec<String> {
    let mut plain = String::with_capacity(text.len());
    let mut in_tag = false;
    let mut in_target = false;
    let mut previous = ' ';
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            '(' if previous == ']' => in_target = true,
            ')' if in_target => in_target = false,
            _ if in_tag || in_target => {}
            '\'' => {}
            _ => plain.push(c),
        }
        previous = c;
    }
    plain
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// A step name from a heading: at most [`MAX_WORDS`] words, filler and numbering dropped
/// ("Let's explore the data" → `explore_data`, "2. Load" → `load`). Empty when nothing is
/// left.
pub fn from_heading(title: &str) -> String {
    let words = plain_words(title);
    let numbering = |w: &&str| w.chars().all(|c| c.is_ascii_digit());
    // "up" is filler but in "set up", which is not `set`, the builtin.
    let phrasal = |k: usize| words[k] == "up" && k > 0 && words[k - 1] == "set";
    let kept: Vec<&str> = (0..words.len())
        .filter(|&k| {
            phrasal(k) || !(FILLER.contains(&words[k].as_str()) || numbering(&words[k].as_str()))
        })
        .map(|k| words[k].as_str())
        .take(MAX_WORDS)
        .collect();
    // One keyword alone ("Import it") is no name: the heading's words then stay, filler too.
    if let [word] = kept.as_slice() {
        if KEYWORDS.contains(word) {
            let all = words.iter().map(String::as_str).filter(|w| !numbering(w));
            return all.take(MAX_WORDS).collect::<Vec<_>>().join("_");
        }
    }
    kept.join("_")
}

/// What a step's code does, for a name when it has no heading: the calls it makes (name and
/// receiver), the names it hands to later steps, the names it takes from earlier ones and the
/// names it binds.
pub struct StepCode<'a> {
    pub calls: &'a [Call<'a>],
    pub returns: &'a [&'a str],
    pub params: &'a [&'a str],
    pub binds: &'a [&'a str],
}

/// `receiver.name(` or `name(` in a step's code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Call<'a> {
    pub receiver: Option<&'a str>,
    pub name: &'a str,
}

/// The calls in `code`, in order, found by their tokens (strings and comments skipped).
pub fn calls_in(code: &str) -> Vec<Call<'_>> {
    let bytes = code.as_bytes();
    let mut calls = Vec::new();
    let mut i = 0;
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'#' {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b'"' || b == b'\'' {
            // A string: skipped to its closing quote (triple quotes close at the next three).
            let triple = bytes[i..].starts_with(&[b, b, b]);
            i += if triple { 3 } else { 1 };
            while i < bytes.len() {
                if bytes[i] == b'\\' {
                    i += 2;
                    continue;
                }
                if triple && bytes[i..].starts_with(&[b, b, b]) {
                    i += 3;
                    break;
                }
                if !triple && (bytes[i] == b || bytes[i] == b'\n') {
                    i += 1;
                    break;
                }
                i += 1;
            }
            continue;
        } else if word(b) && (i == 0 || !word(bytes[i - 1])) {
            let start = i;
            while i < bytes.len() && word(bytes[i]) {
                i += 1;
            }
            let mut after = i;
            while after < bytes.len() && bytes[after] == b' ' {
                after += 1;
            }
            if after < bytes.len() && bytes[after] == b'(' && !b.is_ascii_digit() {
                let receiver = (start > 1 && bytes[start - 1] == b'.').then(|| {
                    let end = start - 1;
                    let mut begin = end;
                    while begin > 0 && word(bytes[begin - 1]) {
                        begin -= 1;
                    }
                    &code[begin..end]
                });
                calls.push(Call {
                    receiver: receiver.filter(|r| !r.is_empty()),
                    name: &code[start..i],
                });
            }
            continue;
        }
        i += 1;
    }
    calls
}

const FITS: &[&str] = &[
    "fit",
    "fit_transform",
    "fit_predict",
    "partial_fit",
    "train",
];
const LOADS: &[&str] = &[
    "read_csv",
    "read_table",
    "read_excel",
    "read_json",
    "read_parquet",
    "read_sql",
    "read_pickle",
    "read_fwf",
    "read_html",
    "read_feather",
    "read_hdf",
    "read_sas",
    "read_stata",
    "loadtxt",
    "genfromtxt",
    "load",
    "open",
    "load_dataset",
    "load_iris",
    "load_digits",
    "load_wine",
    "load_breast_cancer",
    "load_diabetes",
    "fetch_openml",
    "imread",
    "urlopen",
    "DictReader",
    "reader",
];
const PLOTS: &[&str] = &[
    "plot",
    "scatter",
    "hist",
    "bar",
    "barh",
    "imshow",
    "heatmap",
    "boxplot",
    "violinplot",
    "pairplot",
    "countplot",
    "distplot",
    "histplot",
    "lineplot",
    "scatterplot",
    "barplot",
    "kdeplot",
    "jointplot",
    "pie",
    "subplots",
    "figure",
    "contour",
    "contourf",
    "errorbar",
    "fill_between",
    "stem",
    "step",
    "matshow",
    "pcolormesh",
    "quiver",
    "hexbin",
    "regplot",
    "lmplot",
    "catplot",
    "relplot",
    "displot",
    "stripplot",
    "swarmplot",
    "pointplot",
];
const SAVES: &[&str] = &[
    "to_csv",
    "to_excel",
    "to_json",
    "to_parquet",
    "to_pickle",
    "to_sql",
    "to_hdf",
    "savefig",
    "savetxt",
    "save",
    "dump",
    "write_text",
    "write_bytes",
    "imwrite",
];
const CLEANS: &[&str] = &[
    "dropna",
    "fillna",
    "drop",
    "drop_duplicates",
    "replace",
    "astype",
    "rename",
    "strip",
    "to_datetime",
    "to_numeric",
    "interpolate",
];
/// Calls that set up the session rather than compute: seeds, display and plotting options,
/// warning filters.
const SETUPS: &[&str] = &[
    "seed",
    "set_option",
    "set_printoptions",
    "rc",
    "filterwarnings",
    "simplefilter",
    "set_style",
    "set_theme",
    "set_context",
    "set_palette",
    "use",
    "basicConfig",
    "set_random_seed",
    "manual_seed",
    "chdir",
];
const MERGES: &[&str] = &["merge", "join", "concat", "append"];
/// Modules whose calls name no subject of their own (`plt.plot` plots, it is not `plt`).
const LIBRARIES: &[&str] = &[
    "plt", "pyplot", "sns", "np", "pd", "tf", "torch", "sklearn", "os", "sys", "json", "math",
    "random", "re", "px", "go", "scipy", "stats", "self",
];

/// Words of an identifier or a class name (`RandomForestClassifier` → random, forest,
/// classifier; `train_df` → train, df).
fn identifier_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in text.split('_').filter(|p| !p.is_empty()) {
        let mut word = String::new();
        let chars: Vec<char> = part.chars().collect();
        for (k, &c) in chars.iter().enumerate() {
            let boundary = c.is_ascii_uppercase()
                && k > 0
                && (chars[k - 1].is_ascii_lowercase()
                    || chars.get(k + 1).is_some_and(|n| n.is_ascii_lowercase()));
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

/// `verb` followed by the words of `subjects`, [`MAX_WORDS`] words in all.
fn verb_and(verb: &str, subjects: &[&str]) -> String {
    let mut words = vec![verb.to_owned()];
    for subject in subjects {
        for word in identifier_words(subject) {
            if words.len() < MAX_WORDS && !words.contains(&word) {
                words.push(word);
            }
        }
    }
    words.join("_")
}

/// A name for a step without a heading, after what it does or produces: `fit_random_forest`,
/// `load_train_test`, `plot_titanic`, `save_summary`, `clean_df`, `compute_totals`,
/// `show_rows`; `explore` when nothing stands out.
pub fn from_code(code: &StepCode<'_>) -> String {
    let has = |names: &[&str]| code.calls.iter().find(|c| names.contains(&c.name));
    // The data a step works on: what it hands on, else what it takes, else what it binds.
    let subjects: Vec<&str> = if !code.returns.is_empty() {
        code.returns.iter().copied().take(2).collect()
    } else if !code.params.is_empty() {
        code.params.iter().copied().take(2).collect()
    } else {
        code.binds.iter().copied().take(2).collect()
    };
    if let Some(fit) = has(FITS) {
        // The estimator: a class built in the step (`RandomForestClassifier(…)`), else the
        // fitted name.
        let built = code.calls.iter().find(|c| {
            c.receiver.is_none()
                && c.name.starts_with(|ch: char| ch.is_ascii_uppercase())
                && c.name.chars().any(|ch| ch.is_ascii_lowercase())
        });
        if let Some(class) = built {
            let words: Vec<String> = identifier_words(class.name)
                .into_iter()
                .filter(|w| !matches!(w.as_str(), "classifier" | "regressor" | "estimator"))
                .collect();
            let joined = words.join("_");
            return verb_and("fit", &[joined.as_str()]);
        }
        let subject = fit.receiver.filter(|r| !LIBRARIES.contains(r));
        return verb_and("fit", subject.as_slice());
    }
    // A step that only sets things up hands on at most a constant or two.
    if has(SETUPS).is_some() && code.returns.len() <= 1 {
        let computes = code.calls.iter().any(|c| {
            !SETUPS.contains(&c.name)
                && (LOADS.contains(&c.name) || PLOTS.contains(&c.name) || SAVES.contains(&c.name))
        });
        if !computes {
            return "set_up".to_owned();
        }
    }
    if has(LOADS).is_some() {
        return verb_and("load", &subjects);
    }
    let drawn = code.calls.iter().any(|c| {
        PLOTS.contains(&c.name)
            || c.receiver
                .is_some_and(|r| matches!(r, "plt" | "sns" | "px"))
    });
    if drawn {
        let subject: Vec<&str> = code.params.iter().copied().take(1).collect();
        return verb_and(
            "plot",
            if subject.is_empty() {
                &subjects
            } else {
                &subject
            },
        );
    }
    if let Some(save) = has(SAVES) {
        let subject = save.receiver.filter(|r| !LIBRARIES.contains(r));
        return match subject {
            Some(subject) => verb_and("save", &[subject]),
            None => verb_and("save", &subjects),
        };
    }
    if has(MERGES).is_some() && !code.returns.is_empty() {
        return verb_and("merge", &subjects);
    }
    if has(CLEANS).is_some() && !subjects.is_empty() {
        return verb_and("clean", &subjects);
    }
    if !code.returns.is_empty() {
        return verb_and("compute", &subjects);
    }
    if code
        .calls
        .iter()
        .any(|c| matches!(c.name, "print" | "display"))
        && !subjects.is_empty()
    {
        return verb_and("show", &subjects);
    }
    if !subjects.is_empty() {
        return verb_and("explore", &subjects);
    }
    "explore".to_owned()
}

/// Hands out names unique among themselves and against `taken`.
pub struct NameAllocator<'a> {
    /// Borrowed: the notebook's names are many and already stored elsewhere.
    taken: FxHashSet<&'a str>,
    given: FxHashSet<String>,
}

impl<'a> NameAllocator<'a> {
    pub fn new(taken: FxHashSet<&'a str>) -> Self {
        NameAllocator {
            taken,
            given: FxHashSet::default(),
        }
    }

    /// Not the notebook's, not given, and no builtin: a step named `set` or `filter` would
    /// shadow the builtin for the whole of `steps.py`.
    fn is_free(&self, name: &str) -> bool {
        !self.taken.contains(name) && !self.given.contains(name) && !is_builtin(name)
    }

    /// The first free name of `candidates` (best first, at least one), or the first with
    /// `_2`, `_3`… when all are taken.
    pub fn allocate_first(&mut self, candidates: &[String]) -> String {
        match candidates.iter().find(|c| self.is_free(c)) {
            Some(free) => {
                self.given.insert(free.clone());
                free.clone()
            }
            None => self.allocate(&candidates[0], None),
        }
    }

    /// `base`, or `base_2`, `base_3`… when taken. With a `qualifier` (the words of a parent
    /// heading), a taken `base` first becomes `qualifier_base`.
    pub fn allocate(&mut self, base: &str, qualifier: Option<&str>) -> String {
        let mut candidate = base.to_owned();
        if let Some(qualifier) = qualifier.filter(|q| !q.is_empty()) {
            let qualified = format!("{qualifier}_{base}");
            if !self.is_free(&candidate) && self.is_free(&qualified) {
                candidate = qualified;
            }
        }
        let stem = candidate.clone();
        let mut n = 2;
        while !self.is_free(&candidate) {
            candidate = format!("{stem}_{n}");
            n += 1;
        }
        self.given.insert(candidate.clone());
        candidate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_valid_python() {
        assert_eq!(
            identifier("01 - Intro to ML (copy)", "nb", 40),
            "nb_01_intro_to_ml_copy"
        );
        assert_eq!(identifier("Load the data!", "step", 40), "load_the_data");
        assert_eq!(identifier("class", "step", 40), "class_");
        assert_eq!(identifier("Ünïcode", "step", 40), "n_code");
        assert_eq!(identifier("???", "step", 40), "step");
        assert_eq!(
            identifier(
                "A function reads a global that is rebound later",
                "step",
                40
            ),
            "a_function_reads_a_global_that_is"
        );
    }

    #[test]
    fn allocated_names_never_collide() {
        let mut names = NameAllocator::new(["print", "data"].into_iter().collect());
        assert_eq!(names.allocate("print", None), "print_2");
        assert_eq!(names.allocate("load", None), "load");
        assert_eq!(names.allocate("load", None), "load_2");
        assert_eq!(names.allocate("load", None), "load_3");
    }

    #[test]
    fn a_repeated_heading_is_qualified_by_its_parent() {
        let mut names = NameAllocator::new(FxHashSet::default());
        assert_eq!(
            names.allocate("compile_model", Some("vgg16")),
            "compile_model"
        );
        assert_eq!(
            names.allocate("compile_model", Some("resnet")),
            "resnet_compile_model"
        );
        assert_eq!(
            names.allocate("compile_model", Some("resnet")),
            "compile_model_2"
        );
    }

    fn check_heading(heading: &str, expected: &str) {
        assert_eq!(from_heading(heading), expected, "{heading:?}");
    }

    #[test]
    fn headings_give_a_few_words_without_filler() {
        check_heading("Let's explore the data", "explore_data");
        check_heading("1. Load the data", "load_data");
        check_heading("Compile the model", "compile_model");
        check_heading(
            "To view the matrix you can output it to a file",
            "view_matrix_output_file",
        );
        check_heading(
            "<a id='train'></a>Train the <font color=red>model</font>",
            "train_model",
        );
        check_heading(
            "[Pandas](https://pandas.pydata.org) basics",
            "pandas_basics",
        );
        check_heading("Step 2", "");
        check_heading("Set up the paths", "set_up_paths");
        check_heading("Import it", "import_it");
    }

    fn check_code(code: &str, returns: &[&str], params: &[&str], expected: &str) {
        let calls = calls_in(code);
        let binds: Vec<&str> = Vec::new();
        let name = from_code(&StepCode {
            calls: &calls,
            returns,
            params,
            binds: &binds,
        });
        assert_eq!(name, expected, "{code:?}");
    }

    #[test]
    fn steps_without_a_heading_are_named_after_what_they_do() {
        check_code(
            "train = pd.read_csv('train.csv')\ntest = pd.read_csv('test.csv')",
            &["train", "test"],
            &[],
            "load_train_test",
        );
        check_code(
            "rf = RandomForestClassifier(n_estimators=10)\nrf.fit(X, y)",
            &["rf"],
            &["X", "y"],
            "fit_random_forest",
        );
        check_code("model.fit(X, y)", &["model"], &["X"], "fit_model");
        check_code(
            "plt.plot(survival)\nplt.show()",
            &[],
            &["survival"],
            "plot_survival",
        );
        check_code(
            "summary.to_csv('out.csv')",
            &[],
            &["summary"],
            "save_summary",
        );
        check_code("df = df.dropna()", &["df"], &["df"], "clean_df");
        check_code(
            "totals = sum(rows)",
            &["totals"],
            &["rows"],
            "compute_totals",
        );
        check_code("print(rows)", &[], &["rows"], "show_rows");
        check_code(
            "np.random.seed(0)\npd.set_option('display.max_rows', 10)",
            &[],
            &[],
            "set_up",
        );
        check_code("x = 1", &[], &[], "explore");
        check_code("print('plot(')  # fit(", &[], &[], "explore");
    }

    #[test]
    fn calls_are_found_with_their_receivers() {
        assert_eq!(
            calls_in("a = np.array(x)  # f(\nb = 'g(' + h (1)"),
            vec![
                Call {
                    receiver: Some("np"),
                    name: "array"
                },
                Call {
                    receiver: None,
                    name: "h"
                },
            ]
        );
    }
}
