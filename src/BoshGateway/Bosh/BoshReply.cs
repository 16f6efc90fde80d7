using BoshGateway.Sessions;

namespace BoshGateway.Bosh;

/// <summary>
/// What the BOSH endpoint does with a request: write an answer, answer with a bare HTTP status, or nothing (already
/// answered, e.g. by the owner node). A request held by a session of this node carries its answer to come
/// (<see cref="Held"/>): the endpoint awaits it after the frames that read and parsed the request are gone, so a held
/// request does not keep its bytes and parsed body for up to <c>wait</c> seconds (about 1 KiB per idle session).
/// </summary>
internal readonly record struct BoshReply(BoshAnswer? Answer, int Status, string? RetryAfter = null, Task<BoshAnswer>? Held = null)
{
    public static BoshReply Handled => new(null, 0);

    /// <summary>"Try again": Strophe.js and StanzaJS resend the same rid on a 5xx.</summary>
    public static BoshReply Unavailable => new(null, StatusCodes.Status503ServiceUnavailable);

    public static BoshReply With(BoshAnswer answer) => new(answer, 0);

    public static BoshReply With(byte[] body) => new(BoshAnswer.Immediate(body), 0);

    public static BoshReply Later(Task<BoshAnswer> held) => new(null, 0, null, held);

    public static BoshReply WithStatus(int status) => new(null, status);

    /// <summary>HTTP 429 before a session exists (a per-address limit), with <c>Retry-After</c> when known.</summary>
    public static BoshReply TooMany(string? retryAfter) => new(null, StatusCodes.Status429TooManyRequests, retryAfter);

    /// <summary>
    /// A sid nobody knows: <c>item-not-found</c>, spending one of the client address's unknown-sid tokens, or
    /// HTTP 429 without an answer once they are spent (<c>Gateway:Throttle:UnknownSidsPerSecond</c>).
    /// </summary>
    public static BoshReply UnknownSid(SessionLifecycle lifecycle, System.Net.IPAddress? client)
    {
        if (!lifecycle.MayLookUpUnknownSid(client, out var retryAfter))
        {
            return TooMany(Admission.RetryAfterSeconds(retryAfter));
        }
        lifecycle.UnknownSid(client);
        return With(Protocol.Bosh.BoshResponseWriter.Terminate(Protocol.Bosh.BoshConditions.ItemNotFound));
    }
}
