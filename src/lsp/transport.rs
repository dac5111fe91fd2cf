//! The stdio transport: `Content-Length` framed JSON-RPC, read and written on two threads.
//!
//! `lsp-server`'s own stdio transport ends the session at the first frame it cannot read; an
//! editor (or a test) that sends one bad message would lose its server. This reader answers a
//! frame that is not JSON with a JSON-RPC parse error (`id: null`), a JSON value that is not a
//! message with "invalid request", and reads on.

use std::io::{self, BufRead, Write};
use std::thread;

use lsp_server::{Connection, ErrorCode, Message};
use serde_json::json;

use crate::lsp::log;

/// The connection's two threads; joined when the session ends.
pub struct Threads {
    reader: thread::JoinHandle<()>,
    writer: thread::JoinHandle<()>,
}

impl Threads {
    pub fn join(self) {
        let _ = self.reader.join();
        let _ = self.writer.join();
    }
}

pub fn stdio() -> (Connection, Threads) {
    let (to_server, receiver) = crossbeam_channel::bounded::<Message>(0);
    let (sender, from_server) = crossbeam_channel::bounded::<Message>(0);
    let writer = thread::spawn(move || {
        for message in from_server {
            if let Err(error) = message.write(&mut io::stdout().lock()) {
                log(&format!("cannot write to the client: {error}"));
                return;
            }
        }
    });
    let reader = thread::spawn(move || {
        let mut input = io::stdin().lock();
        loop {
            let frame = match read_frame(&mut input) {
                Ok(Some(frame)) => frame,
                Ok(None) => return,
                Err(error) => {
                    log(&format!("cannot read from the client: {error}"));
                    return;
                }
            };
            let message = match parse(&frame) {
                Ok(message) => message,
                Err(reply) => {
                    write_raw(&reply);
                    continue;
                }
            };
            let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
            if to_server.send(message).is_err() || exit {
                return;
            }
        }
    });
    (Connection { sender, receiver }, Threads { reader, writer })
}

/// One frame's body. `Ok(None)` at the end of input; a malformed header is skipped (the
/// frame it began is lost, the next one is read).
fn read_frame(input: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length: Option<usize> = None;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let header = line.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            match length {
                Some(length) => break length_body(input, length).map(Some),
                // A blank line without a length: noise between frames.
                None => continue,
            }
        }
        if let Some((name, value)) = header.split_once(':')
            && name.trim().eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().ok();
        }
    }
}

fn length_body(input: &mut impl BufRead, length: usize) -> io::Result<Vec<u8>> {
    let mut body = vec![0; length];
    input.read_exact(&mut body)?;
    Ok(body)
}

/// A frame as a message, or the error response to send back.
fn parse(frame: &[u8]) -> Result<Message, String> {
    let value: serde_json::Value = serde_json::from_slice(frame).map_err(|error| {
        log(&format!("a message is not JSON: {error}"));
        error_response(
            serde_json::Value::Null,
            ErrorCode::ParseError,
            &format!("the message is not JSON: {error}"),
        )
    })?;
    let id = value.get("id").cloned().unwrap_or(serde_json::Value::Null);
    serde_json::from_value(value).map_err(|error| {
        log(&format!("a message is not a JSON-RPC message: {error}"));
        error_response(
            id,
            ErrorCode::InvalidRequest,
            &format!("the message is not a JSON-RPC request, response or notification: {error}"),
        )
    })
}

fn error_response(id: serde_json::Value, code: ErrorCode, message: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": code as i32, "message": message}})
        .to_string()
}

/// Writes a frame from the reader thread; the stdout lock keeps it whole beside the writer's.
fn write_raw(body: &str) {
    let mut out = io::stdout().lock();
    let _ = write!(out, "Content-Length: {}\r\n\r\n{body}", body.len());
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_are_read_after_noise_and_bad_headers() {
        let input = b"\r\nX-Bad\r\nContent-Length: 2\r\n\r\n{}Content-Length: 4\r\n\r\nnull";
        let mut reader = &input[..];
        assert_eq!(read_frame(&mut reader).unwrap().unwrap(), b"{}");
        assert_eq!(read_frame(&mut reader).unwrap().unwrap(), b"null");
        assert!(read_frame(&mut reader).unwrap().is_none());
    }

    #[test]
    fn bad_messages_get_json_rpc_errors() {
        let reply = parse(b"{not json").unwrap_err();
        assert!(reply.contains("\"code\":-32700") && reply.contains("\"id\":null"));
        let reply = parse(br#"{"id": 7, "jsonrpc": "2.0"}"#).unwrap_err();
        assert!(reply.contains("\"code\":-32600") && reply.contains("\"id\":7"));
        assert!(parse(br#"{"jsonrpc": "2.0", "method": "exit"}"#).is_ok());
    }
}
