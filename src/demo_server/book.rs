//! `/book?count=N&interval=MS&style=merge|patch`: an order book to fold (issue 24). A
//! snapshot, then `count` deltas (one every `interval` ms), then the server's own book as
//! a last message marked `"final": true`, then close 1000 "book done".
//!
//! With `style=merge` (the default) each message's `book` is an RFC 7386 merge patch of
//! the book (`{"bids": {"99.75": 12, "100.00": null}}`: a size set, a level removed); with
//! `style=patch` each message's `ops` is an RFC 6902 JSON Patch (the snapshot an `add` of
//! the whole book at `""`). The book is `{"bids": {PRICE: SIZE}, "asks": {PRICE: SIZE}}`,
//! prices as text with two decimals. The final message carries the book as the server
//! kept it with its own code, so a client can check that what it folded is the same.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Map, Value, json};
use tokio_tungstenite::tungstenite::Message;

use super::closing::{answer_close, close_and_wait, frame};
use super::{Ws, WsResult};

/// How deltas are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BookStyle {
    /// RFC 7386 merge patches in `book`.
    Merge,
    /// RFC 6902 JSON Patches in `ops`.
    Patch,
}

/// Price levels per side in the snapshot.
const LEVELS: u64 = 5;

/// The book as the server keeps it, and the deltas that change it.
pub struct Book {
    sides: [Map<String, Value>; 2],
    rng: fastrand::Rng,
    style: BookStyle,
}

const SIDES: [&str; 2] = ["bids", "asks"];

impl Book {
    /// The same book and deltas every time (a fixed seed).
    pub fn new(style: BookStyle) -> Self {
        let mut book = Self {
            sides: [Map::new(), Map::new()],
            rng: fastrand::Rng::with_seed(24),
            style,
        };
        for step in 1..=LEVELS {
            let size = book.size();
            book.sides[0].insert(price(-(step as i64)), size);
            let size = book.size();
            book.sides[1].insert(price(step as i64), size);
        }
        book
    }

    /// The book as JSON.
    pub fn to_json(&self) -> Value {
        json!({"bids": self.sides[0], "asks": self.sides[1]})
    }

    /// The first message: the whole book.
    pub fn snapshot(&self) -> Value {
        match self.style {
            BookStyle::Merge => json!({"type": "snapshot", "seq": 0, "book": self.to_json()}),
            BookStyle::Patch => json!({
                "type": "snapshot",
                "seq": 0,
                "ops": [{"op": "add", "path": "", "value": self.to_json()}],
            }),
        }
    }

    /// Delta number `seq` (from 1): one to three levels set or removed, applied to the book.
    pub fn delta(&mut self, seq: u64) -> Value {
        let mut patch = json!({"bids": {}, "asks": {}});
        let mut ops = Vec::new();
        for _ in 0..self.rng.u64(1..=3) {
            let side = self.rng.usize(0..2);
            let sign = if side == 0 { -1 } else { 1 };
            let level = price(sign * self.rng.i64(1..=(LEVELS as i64 + 3)));
            let remove = self.sides[side].contains_key(&level) && self.rng.u8(0..4) == 0;
            let value = if remove {
                self.sides[side].shift_remove(&level);
                ops.push(json!({"op": "remove", "path": format!("/{}/{level}", SIDES[side])}));
                Value::Null
            } else {
                let size = self.size();
                self.sides[side].insert(level.clone(), size.clone());
                ops.push(json!({"op": "add", "path": format!("/{}/{level}", SIDES[side]), "value": size}));
                size
            };
            patch[SIDES[side]][&level] = value;
        }
        match self.style {
            BookStyle::Merge => json!({"type": "delta", "seq": seq, "book": patch}),
            BookStyle::Patch => json!({"type": "delta", "seq": seq, "ops": ops}),
        }
    }

    /// The last message: the server's own book.
    pub fn final_message(&self, seq: u64) -> Value {
        json!({"type": "final", "final": true, "seq": seq, "book": self.to_json()})
    }

    fn size(&mut self) -> Value {
        json!(self.rng.u64(1..=50))
    }
}

/// The price `steps` quarters away from 100, as text: "99.75", "100.25".
fn price(steps: i64) -> String {
    let cents = 10_000 + steps * 25;
    format!("{}.{:02}", cents / 100, cents % 100)
}

/// Sends the snapshot, `count` deltas `interval` apart, the final book, then closes. A
/// client's close is answered at any time.
pub async fn serve(ws: &mut Ws, count: u64, interval: Duration, style: BookStyle) -> WsResult {
    let mut book = Book::new(style);
    ws.send(Message::text(book.snapshot().to_string())).await?;
    for seq in 1..=count {
        if !interval.is_zero() {
            let pause = tokio::time::sleep(interval);
            tokio::pin!(pause);
            loop {
                tokio::select! {
                    () = &mut pause => break,
                    incoming = ws.next() => match incoming {
                        Some(Ok(Message::Close(_))) => return answer_close(ws).await,
                        Some(Ok(_)) => {}
                        Some(Err(err)) => return Err(err),
                        None => return Ok(()),
                    },
                }
            }
        }
        let delta = Message::text(book.delta(seq).to_string());
        if !interval.is_zero() {
            // Paced: each delta leaves when it is made.
            ws.send(delta).await?;
            continue;
        }
        ws.feed(delta).await?;
        if seq % 256 == 0 {
            ws.flush().await?;
        }
    }
    let last = book.final_message(count + 1);
    ws.send(Message::text(last.to_string())).await?;
    close_and_wait(ws, Some(frame(1000, "book done"))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_quarters_around_100() {
        assert_eq!(price(-1), "99.75");
        assert_eq!(price(1), "100.25");
        assert_eq!(price(-8), "98.00");
    }

    #[test]
    fn merge_deltas_rebuild_the_servers_book() {
        let mut book = Book::new(BookStyle::Merge);
        let mut folded = book.snapshot()["book"].clone();
        for seq in 1..=200 {
            json_patch::merge(&mut folded, &book.delta(seq)["book"]);
        }
        assert_eq!(folded, book.final_message(201)["book"]);
        assert_ne!(
            folded,
            Book::new(BookStyle::Merge).to_json(),
            "the deltas changed it"
        );
    }

    #[test]
    fn patch_deltas_rebuild_the_servers_book() {
        let mut book = Book::new(BookStyle::Patch);
        let mut folded = json!({});
        let mut apply = |message: Value| {
            let ops: json_patch::Patch = serde_json::from_value(message["ops"].clone()).unwrap();
            json_patch::patch(&mut folded, &ops).unwrap();
        };
        apply(book.snapshot());
        for seq in 1..=200 {
            apply(book.delta(seq));
        }
        assert_eq!(folded, book.final_message(201)["book"]);
    }
}
