using BoshGateway.Backend;

namespace BoshGateway.Tests.Backend;

public class SendQueueTests
{
    private static byte[] Item(int writer, int n) => [(byte)writer, (byte)(n >> 8), (byte)n];

    [Fact]
    public async Task Writes_AreReadInOrder_ThroughGrowth()
    {
        var queue = new SendQueue();
        for (var i = 0; i < 300; i++)
        {
            Assert.True(queue.TryWrite(Item(0, i)));
        }
        Assert.True(await queue.WaitToReadAsync());
        for (var i = 0; i < 300; i++)
        {
            Assert.True(queue.TryRead(out var data));
            Assert.Equal(Item(0, i), data.ToArray());
        }
        Assert.False(queue.TryRead(out _));
    }

    [Fact]
    public async Task WaitingReader_IsWokenByAWrite()
    {
        var queue = new SendQueue();
        var wait = queue.WaitToReadAsync();
        Assert.False(wait.IsCompleted);
        queue.TryWrite(Item(0, 1));
        Assert.True(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(queue.TryRead(out _));
    }

    [Fact]
    public async Task Complete_WakesTheReader_AfterWhatIsQueuedIsRead()
    {
        var queue = new SendQueue();
        var wait = queue.WaitToReadAsync();
        queue.Complete();
        Assert.False(await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(10)));

        var drained = new SendQueue();
        drained.TryWrite(Item(0, 1));
        drained.Complete();
        Assert.False(drained.TryWrite(Item(0, 2)));
        Assert.True(await drained.WaitToReadAsync());
        Assert.True(drained.TryRead(out var last));
        Assert.Equal(Item(0, 1), last.ToArray());
        Assert.False(await drained.WaitToReadAsync());
    }

    /// <summary>Four writers against one reader that waits whenever the queue is empty: every write arrives once, each writer's in order.</summary>
    [Fact]
    public async Task ConcurrentWriters_OneReader_NothingLostOrReordered()
    {
        const int Writers = 4, PerWriter = 20_000;
        var queue = new SendQueue();
        var next = new int[Writers];
        var reader = Task.Run(async () =>
        {
            var seen = 0;
            while (await queue.WaitToReadAsync())
            {
                while (queue.TryRead(out var data))
                {
                    var bytes = data.Span;
                    Assert.Equal(next[bytes[0]]++, bytes[1] << 8 | bytes[2]);
                    seen++;
                }
            }
            return seen;
        });
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(() =>
        {
            for (var i = 0; i < PerWriter; i++)
            {
                Assert.True(queue.TryWrite(Item(w, i)));
            }
        })));
        queue.Complete();
        Assert.Equal(Writers * PerWriter, await reader.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.All(next, n => Assert.Equal(PerWriter, n));
    }
}
