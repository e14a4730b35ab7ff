//! Where an export's bytes go: the HTTP response body, in chunks, through a bounded channel.
//! The encoder runs on a blocking thread and waits when the client reads slowly, so memory
//! stays at a few chunks whatever the size of the export.

use std::io::{self, Write};

use std::time::Duration;

use axum::body::Bytes;
use tokio::runtime::Handle;
use tokio::sync::mpsc::Sender;

pub const CHUNK: usize = 64 * 1024;

pub type Chunk = Result<Bytes, io::Error>;

pub struct ChunkSink {
    buf: Vec<u8>,
    tx: Sender<Chunk>,
    runtime: Handle,
    /// How long to wait for a client that stopped reading.
    patience: Duration,
}

impl ChunkSink {
    pub fn new(tx: Sender<Chunk>, runtime: Handle, patience: Duration) -> Self {
        Self {
            buf: Vec::with_capacity(CHUNK * 2),
            tx,
            runtime,
            patience,
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
        // A client that reads nothing for a minute is treated as gone, freeing the thread.
        self.runtime
            .block_on(self.tx.send_timeout(Ok(chunk), self.patience))
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "the client went away"))
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
