//! The ceiling on size limits. A message (or SSE event) size limit is what the reader may
//! have to hold at once; one near 2^62 lets a single frame header ask for more memory than
//! exists, and the process would abort on the allocation. Limits are clamped to
//! [`MAX_MESSAGE_CEILING`] wherever they are used, and the faces say so with
//! [`clamp_note`].

/// The message size limit a new connection has: 64 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 << 20;

/// The largest message (or SSE event) size limit honoured: 1 GiB.
pub const MAX_MESSAGE_CEILING: usize = 1 << 30;

/// The largest compressed message whose wire bytes are kept beside it (for the hex view's
/// "as on the wire"); larger ones keep their wire size only. Kept bytes count against the
/// tab's payload memory budget like the message's own.
pub const WIRE_BYTES_KEPT: usize = 64 << 10;

/// `limit`, or the ceiling when it is above it.
pub fn clamp_message_size(limit: usize) -> usize {
    limit.min(MAX_MESSAGE_CEILING)
}

/// What to tell the user when `flag` (e.g. `--max-message-size`) was given a value above the
/// ceiling; `None` when it is within it.
pub fn clamp_note(flag: &str, limit: usize) -> Option<String> {
    (limit > MAX_MESSAGE_CEILING).then(|| {
        format!(
            "{flag} {limit} is above the ceiling of {MAX_MESSAGE_CEILING} (1 GiB); using {MAX_MESSAGE_CEILING}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_above_the_ceiling_are_clamped_and_said() {
        assert_eq!(clamp_message_size(64 << 20), 64 << 20);
        assert_eq!(clamp_message_size(1 << 62), MAX_MESSAGE_CEILING);
        assert_eq!(clamp_note("--max-message-size", 1 << 30), None);
        assert_eq!(
            clamp_note("--max-message-size", 1 << 62).as_deref(),
            Some(
                "--max-message-size 4611686018427387904 is above the ceiling of 1073741824 \
                 (1 GiB); using 1073741824"
            )
        );
    }
}
