namespace BoshGateway.LoadGenerator;

/// <summary>One simulated user: logged in, bound, available; sends chat messages and reports the ones it receives.</summary>
internal interface IXmppUser : IAsyncDisposable
{
    string Jid { get; }

    Task LoginAsync(string user, string password, CancellationToken cancellationToken);

    Task SendMessageAsync(string to, string body, CancellationToken cancellationToken);

    /// <summary>Called with the body of every chat message received.</summary>
    Action<string>? OnMessage { get; set; }
}
