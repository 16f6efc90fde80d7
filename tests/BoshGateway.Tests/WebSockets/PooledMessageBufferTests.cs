using System.Text;
using BoshGateway.WebSockets;

namespace BoshGateway.Tests.WebSockets;

public sealed class PooledMessageBufferTests
{
    [Fact]
    public void AMessageLargerThanOneReceive_IsCollectedIntact_AcrossGrowth()
    {
        using var buffer = new PooledMessageBuffer();
        var expected = new StringBuilder();
        for (var part = 0; part < 5; part++)
        {
            // Each receive may fill only part of what it was offered, as WebSocket receives do.
            var text = new string((char)('a' + part), 3000 + part);
            var memory = buffer.GetMemory(4096);
            Assert.True(memory.Length >= 4096);
            Encoding.ASCII.GetBytes(text).CopyTo(memory);
            buffer.Advance(text.Length);
            expected.Append(text);
        }
        Assert.Equal(expected.Length, buffer.WrittenCount);
        Assert.Equal(expected.ToString(), Encoding.ASCII.GetString(buffer.WrittenMemory.Span));
    }

    [Fact]
    public void Release_ForgetsTheMessage_AndTheBufferCanBeUsedAgain()
    {
        using var buffer = new PooledMessageBuffer();
        "first"u8.CopyTo(buffer.GetMemory(4096).Span);
        buffer.Advance(5);
        buffer.Release();
        Assert.Equal(0, buffer.WrittenCount);
        Assert.True(buffer.WrittenMemory.IsEmpty);

        "second"u8.CopyTo(buffer.GetMemory(16).Span);
        buffer.Advance(6);
        Assert.Equal("second", Encoding.ASCII.GetString(buffer.WrittenMemory.Span));
    }

    [Theory]
    [InlineData(20_000)]
    [InlineData(260 * 1024)]
    [InlineData(65_536)]
    public void GetMemory_WithACap_NeverGrowsPastIt_AndIsEmptyWhenFull(int cap)
    {
        using var buffer = new PooledMessageBuffer();
        while (true)
        {
            var memory = buffer.GetMemory(4096, cap);
            Assert.True(buffer.Capacity <= cap, $"capacity {buffer.Capacity} over the cap {cap}");
            if (memory.IsEmpty)
            {
                break;
            }
            buffer.Advance(memory.Length);
        }
        Assert.Equal(cap, buffer.WrittenCount);
    }
}
