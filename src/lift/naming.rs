//! Python identifiers for the package and its steps: valid, not keywords, and never equal to
//! a name the notebook or the generated code already uses.

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

    fn is_free(&self, name: &str) -> bool {
        !self.taken.contains(name) && !self.given.contains(name)
    }

    /// `base`, or `base_2`, `base_3`… when taken. With `suffix`, a taken `base` first becomes
    /// `base_suffix`.
    pub fn allocate(&mut self, base: &str, suffix: &str) -> String {
        let mut candidate = base.to_owned();
        if !self.is_free(&candidate) {
            candidate = format!("{base}_{suffix}");
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
        assert_eq!(names.allocate("print", "step"), "print_step");
        assert_eq!(names.allocate("load", "step"), "load");
        assert_eq!(names.allocate("load", "step"), "load_step");
        assert_eq!(names.allocate("load", "step"), "load_step_2");
    }
}
