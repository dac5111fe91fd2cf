//! The stdio transport: `Content-Length` framed JSON-RPC, read and written on two threads.
//!
//! `lsp-server`'s own stdio transport ends the session at the first frame it cannot read; an
//! editor (or a test) that sends one bad message would lose its server. This reader answers a
//! frame that is not JSON with a JSON-RPC parse error (`id: null`), a JSON value that is not a
//! message with "invalid request", and reads on.

use std::io::{self, BufRead, Read, Write};
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
            let reply = match read_frame(&mut input) {
                Ok(Frame::Body(body)) => match parse(&body) {
                    Ok(message) => {
                        let exit =
                            matches!(&message, Message::Notification(n) if n.method == "exit");
                        if to_server.send(message).is_err() || exit {
                            return;
                        }
                        continue;
                    }
                    Err(reply) => reply,
                },
                Ok(Frame::BadHeader(problem)) => {
                    log(&format!("a message has a bad header: {problem}"));
                    error_response(
                        serde_json::Value::Null,
                        ErrorCode::ParseError,
                        &format!("bad message header: {problem}"),
                    )
                }
                Ok(Frame::End) => return,
                Err(error) => {
                    log(&format!("cannot read from the client: {error}"));
                    return;
                }
            };
            write_raw(&reply);
        }
    });
    (Connection { sender, receiver }, Threads { reader, writer })
}

/// What the reader found next.
#[derive(Debug, PartialEq)]
enum Frame {
    Body(Vec<u8>),
    /// A header block without a usable `Content-Length`: the frame is lost, the next one is
    /// found by its `Content-Length` line (a lost body runs into it, without a line break).
    BadHeader(String),
    End,
}

/// The largest message read: an editor's notebook is megabytes; a bigger length is a
/// corrupt header, not a reason to allocate.
const MAX_MESSAGE: usize = 1 << 30;

fn read_frame(input: &mut impl BufRead) -> io::Result<Frame> {
    let mut length: Option<Result<usize, String>> = None;
    let mut line = Vec::new();
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let header = text.trim_end_matches(['\r', '\n']);
        if header.is_empty() {
            match length.take() {
                Some(Ok(length)) => return length_body(input, length),
                Some(Err(problem)) => return Ok(Frame::BadHeader(problem)),
                // A blank line without a length: noise between frames.
                None => continue,
            }
        }
        let lower = header.to_ascii_lowercase();
        if let Some(at) = lower.find("content-length:") {
            let value = header[at + "content-length:".len()..].trim();
            length = Some(match value.parse::<usize>() {
                Ok(n) if n <= MAX_MESSAGE => Ok(n),
                Ok(n) => Err(format!("Content-Length {n} is too large")),
                Err(_) => Err(format!("Content-Length `{value}` is not a number")),
            });
        }
    }
}

fn length_body(input: &mut impl BufRead, length: usize) -> io::Result<Frame> {
    let mut body = Vec::new();
    input.take(length as u64).read_to_end(&mut body)?;
    Ok(if body.len() == length {
        Frame::Body(body)
    } else {
        Frame::End
    })
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
        let input: &[u8] = b"\r\nX-Bad\r\nContent-Length: 2\r\n\r\n{}Content-Length: x\r\n\r\n{\"lost\": 1}Content-Length: 4\r\n\r\nnull\xff\r\nContent-Length: 99999999999\r\n\r\nContent-Length: 20\r\n\r\ntruncated";
        let mut reader = input;
        let mut frames = Vec::new();
        loop {
            let frame = read_frame(&mut reader).unwrap();
            if frame == Frame::End {
                break;
            }
            frames.push(frame);
        }
        assert_eq!(
            frames,
            vec![
                Frame::Body(b"{}".to_vec()),
                Frame::BadHeader("Content-Length `x` is not a number".to_owned()),
                Frame::Body(b"null".to_vec()),
                Frame::BadHeader("Content-Length 99999999999 is too large".to_owned()),
            ]
        );
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
