//! What IPython prints on its own account, which a plain-Python package does not print.

/// Stdout without what IPython itself prints and the package does not: timings (`%time`,
/// `%timeit`), notices (`%pip`, `%pylab`); line endings as `\n` (a shell's output reaches
/// the kernel through a terminal, with `\r\n`).
pub fn without_ipython_notices(stdout: &str) -> String {
    const NOTICES: &[&str] = &[
        "Note: you may need to restart the kernel to use updated packages.",
        "%pylab is deprecated, use %matplotlib inline and import the required libraries.",
        "Populating the interactive namespace from numpy and matplotlib",
    ];
    stdout
        .replace("\r\n", "\n")
        .lines()
        .filter(|line| {
            !(line.starts_with("CPU times:")
                || line.starts_with("Wall time:")
                || line.contains(" per loop (mean ± std. dev. of ")
                || line.starts_with("The slowest run took ")
                || NOTICES.contains(line))
        })
        .map(|line| format!("{line}\n"))
        .collect()
}
