using System.IO.Pipelines;
using System.Net.WebSockets;

namespace BoshGateway.Tests.WebSockets;

/// <summary>A server and a client WebSocket joined in memory (two pipes), speaking real RFC 6455 framing.</summary>
internal sealed class WebSocketPair : IDisposable
{
    public WebSocketPair()
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        RawToServer = toServer.Writer;
        Server = WebSocket.CreateFromStream(new DuplexStream(toServer.Reader.AsStream(), toClient.Writer.AsStream()),
            new WebSocketCreationOptions { IsServer = true, SubProtocol = "xmpp", KeepAliveInterval = Timeout.InfiniteTimeSpan });
        Client = WebSocket.CreateFromStream(new DuplexStream(toClient.Reader.AsStream(), toServer.Writer.AsStream()),
            new WebSocketCreationOptions { IsServer = false, SubProtocol = "xmpp", KeepAliveInterval = Timeout.InfiniteTimeSpan });
    }

    public WebSocket Server { get; }

    public WebSocket Client { get; }

    /// <summary>The bytes toward the server, for frames no well-behaved client would write.</summary>
    public PipeWriter RawToServer { get; }

    public void Dispose()
    {
        Server.Dispose();
        Client.Dispose();
    }

    private sealed class DuplexStream(Stream input, Stream output) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => output.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => output.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => input.Read(buffer, offset, count);

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => input.ReadAsync(buffer, cancellationToken);

        public override void Write(byte[] buffer, int offset, int count) => output.Write(buffer, offset, count);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => output.WriteAsync(buffer, cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                input.Dispose();
                output.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
