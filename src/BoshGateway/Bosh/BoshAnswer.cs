namespace BoshGateway.Bosh;

/// <summary>
/// The answer to one BOSH request, with its place in the session's write order. Answers are written
/// to their HTTP connections in rid order, and once the client is bound an answer written right after
/// one that carried payload waits a moment (<c>Gateway:Bosh:AnswerSpacing</c>): clients holding two
/// connections (StanzaJS, Strophe.js) process answers in arrival order, so two answers on the wire at
/// once could be taken in the wrong order, which breaks XEP-0198 counts. Sessions with sparse traffic
/// never wait, and neither does a login (see <c>BoshSession._isLive</c>).
/// </summary>
public sealed class BoshAnswer
{
    private readonly Task<long> _previousWritten;
    private readonly TaskCompletionSource<long>? _written;

    internal BoshAnswer(byte[] body, bool spacesNext, Task<long> previousWritten, TaskCompletionSource<long>? written)
    {
        Body = body;
        SpacesNext = spacesNext;
        _previousWritten = previousWritten;
        _written = written;
    }

    public byte[] Body { get; }

    /// <summary>True when the next answer waits <c>AnswerSpacing</c> after this one: it carries elements to a bound client.</summary>
    public bool SpacesNext { get; }

    internal static Task<long> NothingWritten { get; } = Task.FromResult(0L);

    /// <summary>An answer outside the ordered stream (a replay, an error for a duplicate, a pause).</summary>
    public static BoshAnswer Immediate(byte[] body) => new(body, false, NothingWritten, null);

    /// <summary>
    /// Waits until the previous answer of the session was written (at most <paramref name="limit"/>,
    /// so a slow client cannot stall the next one for long), then, when that answer asks for it, until
    /// <paramref name="spacing"/> has passed since it was written.
    /// </summary>
    public async ValueTask WaitForTurnAsync(TimeSpan limit, TimeSpan spacing, TimeProvider time)
    {
        try
        {
            var writtenAt = await _previousWritten.WaitAsync(limit, time);
            if (writtenAt != 0 && spacing > TimeSpan.Zero)
            {
                var remaining = spacing - time.GetElapsedTime(writtenAt);
                if (remaining > TimeSpan.Zero)
                {
                    await Task.Delay(remaining, time);
                }
            }
        }
        catch (TimeoutException)
        {
        }
    }

    /// <summary>Lets the next answer go; records when this one was written if the next must keep its distance.</summary>
    public void MarkWritten(TimeProvider time) => _written?.TrySetResult(SpacesNext ? time.GetTimestamp() : 0);
}
