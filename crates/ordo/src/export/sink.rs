//! Where an export's bytes go: the HTTP response body, in chunks, through a bounded channel.
//! The encoder runs on a blocking thread and waits when the client reads slowly, so memory
//! stays at a few chunks whatever the size of the export.

use std::io::{self, Write};

use axum::body::Bytes;
use tokio::sync::mpsc::Sender;

pub const CHUNK: usize = 64 * 1024;

pub type Chunk = Result<Bytes, io::Error>;

pub struct ChunkSink {
    buf: Vec<u8>,
    tx: Sender<Chunk>,
}

impl ChunkSink {
    pub fn new(tx: Sender<Chunk>) -> Self {
        Self {
            buf: Vec::with_capacity(CHUNK * 2),
            tx,
        }
    }

    fn send(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let chunk = Bytes::from(std::mem::replace(
            &mut self.buf,
            Vec::with_capacity(CHUNK * 2),
        ));
        self.tx
            .blocking_send(Ok(chunk))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
    }

    /// Ends the body with an error, so the client sees a broken download rather than a short one.
    pub fn fail(self, message: &str) {
        let _ = self
            .tx
            .blocking_send(Err(io::Error::other(message.to_string())));
    }
}

impl Write for ChunkSink {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= CHUNK {
            self.send()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send()
    }
}
