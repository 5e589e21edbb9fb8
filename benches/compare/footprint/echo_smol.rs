use std::io;
use std::net::Shutdown;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::{TcpListener, TcpStream};

fn main() -> io::Result<()> {
    // One thread, as the other runtimes' servers: a local executor that
    // `block_on` runs (`smol::spawn` would start its global executor's
    // thread).
    let executor = smol::LocalExecutor::new();
    smol::block_on(executor.run(async {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        println!("{}", listener.local_addr()?);
        loop {
            let (stream, _) = listener.accept().await?;
            executor.spawn(echo(stream)).detach();
        }
    }))
}

async fn echo(mut stream: TcpStream) -> io::Result<()> {
    let mut buf = [0; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return stream.shutdown(Shutdown::Write);
        }
        stream.write_all(&buf[..n]).await?;
    }
}
