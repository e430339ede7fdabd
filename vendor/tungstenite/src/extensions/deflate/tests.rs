//! permessage-deflate on a whole connection: RSV1 handling, fragments, uncompressed frames
//! on a compressed connection, and the wire tap.

use std::io::{self, Cursor, Read, Write};

use super::{DeflateContext, DeflateParams};
use crate::error::{CapacityError, Error, ProtocolError};
use crate::extensions::WireTap;
use crate::protocol::frame::coding::{Data, OpCode};
use crate::protocol::frame::Frame;
use crate::protocol::{Message, Role, WebSocket, WebSocketConfig};

/// Reads from the frames given, swallows what is written.
struct Incoming(Cursor<Vec<u8>>);

impl Read for Incoming {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl Write for Incoming {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn frame(payload: &[u8], opcode: Data, fin: bool, rsv1: bool) -> Vec<u8> {
    let mut frame = Frame::message(payload.to_vec(), OpCode::Data(opcode), fin);
    frame.header_mut().rsv1 = rsv1;
    let mut out = Vec::new();
    frame.format(&mut out).unwrap();
    out
}

fn client(frames: Vec<u8>, deflate: bool, config: WebSocketConfig) -> WebSocket<Incoming> {
    WebSocket::from_raw_socket(Incoming(Cursor::new(frames)), Role::Client, Some(config))
        .with_deflate(deflate.then(DeflateParams::default))
}

fn server_compressed(text: &[u8]) -> Vec<u8> {
    DeflateContext::new(Role::Server, DeflateParams::default()).compress(text).unwrap()
}

#[test]
fn a_compressed_frame_without_the_extension_is_a_protocol_error() {
    let frames = frame(&server_compressed(b"hello"), Data::Text, true, true);
    let mut ws = client(frames, false, WebSocketConfig::default());
    assert!(matches!(ws.read(), Err(Error::Protocol(ProtocolError::NonZeroReservedBits))));
}

#[test]
fn fragments_of_a_compressed_message_are_joined_then_inflated() {
    let compressed = server_compressed(b"Hello, fragmented world");
    let (a, b) = compressed.split_at(compressed.len() / 2);
    let mut frames = frame(a, Data::Text, false, true);
    frames.extend(frame(b, Data::Continue, true, false));
    // An uncompressed message on the same connection is read as it is.
    frames.extend(frame(b"plain", Data::Text, true, false));
    let tap = WireTap::new(1024);
    let config = WebSocketConfig::default().wire_tap(Some(tap.clone()));
    let mut ws = client(frames, true, config);
    assert_eq!(ws.read().unwrap(), Message::Text("Hello, fragmented world".into()));
    let wire = tap.take_read().unwrap();
    assert_eq!(wire.size, compressed.len());
    assert_eq!(wire.bytes.as_deref(), Some(&compressed[..]));
    assert_eq!(ws.read().unwrap(), Message::Text("plain".into()));
    assert_eq!(tap.take_read(), None);
}

#[test]
fn rsv1_on_a_continuation_or_control_frame_fails() {
    let compressed = server_compressed(b"Hello");
    let mut frames = frame(&compressed, Data::Text, false, true);
    frames.extend(frame(b"", Data::Continue, true, true));
    let mut ws = client(frames, true, WebSocketConfig::default());
    assert!(matches!(ws.read(), Err(Error::Protocol(ProtocolError::CompressedContinuationFrame))));

    let mut ping = Frame::ping(vec![1u8]);
    ping.header_mut().rsv1 = true;
    let mut frames = Vec::new();
    ping.format(&mut frames).unwrap();
    let mut ws = client(frames, true, WebSocketConfig::default());
    assert!(matches!(ws.read(), Err(Error::Protocol(ProtocolError::CompressedControlFrame))));
}

#[test]
fn a_bomb_fails_with_the_inflated_size_error() {
    let bomb = server_compressed(&vec![b'a'; 4 << 20]);
    let frames = frame(&bomb, Data::Binary, true, true);
    let config = WebSocketConfig::default().max_message_size(Some(1 << 20));
    let mut ws = client(frames, true, config);
    assert!(matches!(
        ws.read(),
        Err(Error::Capacity(CapacityError::InflatedMessageTooLong { max_size, .. })) if max_size == 1 << 20
    ));
}

#[test]
fn invalid_utf8_after_inflating_is_a_utf8_error() {
    let frames = frame(&server_compressed(&[0xff, 0xfe]), Data::Text, true, true);
    let mut ws = client(frames, true, WebSocketConfig::default());
    assert!(matches!(ws.read(), Err(Error::Utf8(_))));
}
