use std::process::ExitCode;

fn main() -> ExitCode {
    nblift::cli::main()
}
