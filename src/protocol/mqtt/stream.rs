//! MQTT over WebSocket is a byte stream: a message may hold several packets, or part of
//! one. This splits the stream into packets, keeping an unfinished one for the next message.

use super::packet::Packet;
use super::wire::Reader;

/// The largest packet kept while it arrives (16 MiB): a bigger one is refused rather than
/// buffered without bound.
pub const MAX_PACKET: usize = 16 * 1024 * 1024;

/// One direction's bytes not yet read as a packet.
#[derive(Debug, Default)]
pub struct PacketStream {
    pending: Vec<u8>,
}

impl PacketStream {
    /// Appends `bytes` and reads every packet now complete, at protocol `level`. On an
    /// error the stream starts afresh (what was pending is dropped), and the packets read
    /// before it are lost with it.
    pub fn push(&mut self, bytes: &[u8], level: u8) -> Result<Vec<Packet>, String> {
        self.pending.extend_from_slice(bytes);
        let mut packets = Vec::new();
        let mut used = 0;
        loop {
            match split(&self.pending[used..]) {
                Ok(Some((first, start, end))) => {
                    let body = &self.pending[used + start..used + end];
                    match Packet::read(first, body, level) {
                        Ok(packet) => packets.push(packet),
                        Err(error) => {
                            self.pending.clear();
                            return Err(error);
                        }
                    }
                    used += end;
                }
                Ok(None) => break,
                Err(error) => {
                    self.pending.clear();
                    return Err(error);
                }
            }
        }
        self.pending.drain(..used);
        Ok(packets)
    }

    /// True when part of a packet is waiting for the rest.
    pub fn is_partial(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// The next packet's first byte and where its body starts and ends in `data`, or `None`
/// when it is not all there yet.
fn split(data: &[u8]) -> Result<Option<(u8, usize, usize)>, String> {
    let Some(&first) = data.first() else {
        return Ok(None);
    };
    let header = &data[1..data.len().min(5)];
    let mut reader = Reader::new(header);
    let length = match reader.varint() {
        Ok(length) => length as usize,
        Err(_) if header.len() < 4 && header.iter().all(|byte| byte & 0x80 != 0) => {
            return Ok(None);
        }
        Err(error) => return Err(error),
    };
    if length > MAX_PACKET {
        return Err(format!(
            "a {length}-byte packet is more than the {MAX_PACKET} bytes kept"
        ));
    }
    let start = 1 + header.len() - reader.remaining();
    let end = start + length;
    Ok((data.len() >= end).then_some((first, start, end)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::mqtt::options::V311;

    #[test]
    fn packets_split_across_messages_and_packed_into_one_are_read() {
        let ping = Packet::Pingreq.write(V311).unwrap();
        let publish = super::super::packet::Publish {
            dup: false,
            qos: 0,
            retain: false,
            topic: "t".into(),
            packet_id: None,
            properties: Default::default(),
            payload: bytes::Bytes::from(vec![b'x'; 300]),
        };
        let publish = Packet::Publish(publish).write(V311).unwrap();
        let mut all = ping.clone();
        all.extend_from_slice(&publish);
        all.extend_from_slice(&ping);
        let mut stream = PacketStream::default();
        // Byte by byte: each packet comes out once it is whole.
        let mut seen = Vec::new();
        for byte in &all {
            seen.extend(stream.push(&[*byte], V311).unwrap());
        }
        assert_eq!(
            seen.iter().map(Packet::name).collect::<Vec<_>>(),
            ["pingreq", "publish", "pingreq"]
        );
        assert!(!stream.is_partial());
        // All at once: three packets.
        assert_eq!(stream.push(&all, V311).unwrap().len(), 3);
    }

    #[test]
    fn a_bad_length_is_an_error_and_the_stream_starts_afresh() {
        let mut stream = PacketStream::default();
        assert!(
            stream
                .push(&[0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01], V311)
                .is_err()
        );
        assert!(!stream.is_partial());
        assert!(
            stream
                .push(&[0x30, 0xFF, 0xFF, 0xFF, 0x7F], V311)
                .unwrap_err()
                .contains("more than")
        );
        assert_eq!(
            stream.push(&[0xD0, 0x00], V311).unwrap(),
            vec![Packet::Pingresp]
        );
    }

    proptest::proptest! {
        /// Whatever the broker sends, reading it is an error or packets, never a panic; and
        /// a valid stream cut anywhere reads as the same packets.
        #[test]
        fn any_bytes_read_without_panic_and_any_cut_reads_the_same(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
            cut in 0usize..64,
            payload in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let _ = PacketStream::default().push(&noise, V311);
            let _ = PacketStream::default().push(&noise, crate::protocol::mqtt::options::V5);
            let publish = Packet::Publish(super::super::packet::Publish {
                dup: false,
                qos: 1,
                retain: false,
                topic: "t/x".into(),
                packet_id: Some(9),
                properties: Default::default(),
                payload: bytes::Bytes::from(payload),
            });
            let mut all = publish.write(V311).unwrap();
            all.extend(Packet::Pingresp.write(V311).unwrap());
            let cut = cut.min(all.len());
            let mut stream = PacketStream::default();
            let mut read = stream.push(&all[..cut], V311).unwrap();
            read.extend(stream.push(&all[cut..], V311).unwrap());
            proptest::prop_assert_eq!(read, vec![publish, Packet::Pingresp]);
        }
    }
}
