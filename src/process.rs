//! Running a child process with a time limit: verify's runs of the notebook and the package,
//! and the test suite's, share this one helper.
//!
//! Both pipes are read while waiting, so a chatty child never blocks on a full pipe. On a
//! time-out the child's whole process group is killed (a kernel, a shell command the notebook
//! started), so no grandchild keeps the pipes open.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How a run ended short of an `Output`.
#[derive(Debug)]
pub enum RunError {
    /// The program could not be started.
    Spawn(std::io::Error),
    /// It ran longer than the limit and was killed.
    TimedOut(Duration),
}

impl std::fmt::Display for RunError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RunError::Spawn(error) => write!(f, "{error}"),
            RunError::TimedOut(limit) => {
                write!(f, "did not finish within {} s", limit.as_secs())
            }
        }
    }
}

/// Runs `command` (standard input closed) and collects its output, killing it after `limit`.
pub fn output_with_timeout(command: &mut Command, limit: Duration) -> Result<Output, RunError> {
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(RunError::Spawn)?;
    let reader = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buffer = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut buffer);
            }
            buffer
        })
    };
    let stdout = reader(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let stderr = reader(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() <= limit => {
                std::thread::sleep(Duration::from_millis(20));
            }
            _ => {
                kill_group(&mut child);
                let _ = child.wait();
                break None;
            }
        }
    };
    let (stdout, stderr) = (
        stdout.join().unwrap_or_default(),
        stderr.join().unwrap_or_default(),
    );
    match status {
        Some(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        None => Err(RunError::TimedOut(limit)),
    }
}

/// Kills the child and every process of its group.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    {
        let group = format!("-{}", child.id());
        let _ = Command::new("kill")
            .args(["-KILL", "--", &group])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_past_its_limit_is_killed_with_its_children() {
        let started = Instant::now();
        let result = output_with_timeout(
            Command::new("sh").args(["-c", "sleep 30 & sleep 30"]),
            Duration::from_millis(300),
        );
        assert!(matches!(result, Err(RunError::TimedOut(_))), "{result:?}");
        // The grandchild holding the pipes was killed too, or this would wait 30 s.
        assert!(started.elapsed() < Duration::from_secs(10));
    }

    #[test]
    fn a_run_within_its_limit_gives_its_output() {
        let output = output_with_timeout(
            Command::new("sh").args(["-c", "echo out; echo err >&2; exit 3"]),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(output.stdout, b"out\n");
        assert_eq!(output.stderr, b"err\n");
        assert_eq!(output.status.code(), Some(3));
    }
}
