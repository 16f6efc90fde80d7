namespace BoshGateway.LoadGenerator;

/// <summary>One simulated user: logged in, bound, available; sends chat messages and reports the ones it receives.</summary>
internal interface IXmppUser : IAsyncDisposable
{
    string Jid { get; set; }

    /// <summary>Connects, starts a stream, logs in, binds and sends presence: <see cref="ConnectAsync"/>, <see cref="StartAsync"/>, then SASL.</summary>
    Task LoginAsync(Credentials credentials, CancellationToken cancellationToken) => LoginAsync(credentials, bind: true, cancellationToken);

    /// <summary>As above; without <paramref name="bind"/> it stops once the restarted stream's features arrived (XEP-0198 resumption comes next).</summary>
    Task LoginAsync(Credentials credentials, bool bind, CancellationToken cancellationToken);

    /// <summary>Sends one top-level element as it is (XEP-0198 enable, resume, r, a).</summary>
    Task SendRawAsync(string xml, CancellationToken cancellationToken);

    /// <summary>Opens the transport (WebSocket: the upgraded connection; BOSH: nothing, HTTP connections are pooled).</summary>
    Task ConnectAsync(CancellationToken cancellationToken);

    /// <summary>Starts the stream (WebSocket <c>&lt;open/&gt;</c>, BOSH session creation) and returns once its features arrive.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Drops the connection as a lost network or a closed laptop does: no logout, nothing more sent.</summary>
    void Abort();

    Task SendMessageAsync(string to, string body, CancellationToken cancellationToken);

    /// <summary>The session ended without this user ending it (a BOSH terminate or failed request, the WebSocket closed).</summary>
    bool Ended { get; }

    /// <summary>Called with the body of every chat message received.</summary>
    Action<string>? OnMessage { get; set; }

    /// <summary>Called with everything received (a WebSocket message, a BOSH body), before <see cref="OnMessage"/>.</summary>
    Action<string>? OnXml { get; set; }
}
