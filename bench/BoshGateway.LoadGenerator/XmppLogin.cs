namespace BoshGateway.LoadGenerator;

/// <summary>The login both transports go through once their stream is open: SASL PLAIN, stream restart, bind, presence.</summary>
internal static class XmppLogin
{
    /// <summary>Logs in over a stream whose answers arrive in <paramref name="inbox"/>; returns the bound JID.</summary>
    public static async Task<string> RunAsync(Inbox inbox, Func<string, Task> send, Func<Task> restart, string user, string password, CancellationToken cancellationToken)
    {
        await inbox.WaitForAsync(x => x.Contains("mechanisms", StringComparison.Ordinal), "SASL mechanisms", cancellationToken);
        await send(Stanzas.Plain(user, password));
        var outcome = await inbox.WaitForAsync(x => Stanzas.IsSaslSuccess(x) || Stanzas.IsSaslFailure(x), "SASL outcome", cancellationToken);
        if (!Stanzas.IsSaslSuccess(outcome))
        {
            throw new InvalidOperationException($"{user}: SASL failed: {outcome}");
        }
        await restart();
        await inbox.WaitForAsync(Stanzas.HasBindFeature, "bind feature", cancellationToken);
        await send(Stanzas.Bind);
        var jid = Stanzas.BoundJid(await inbox.WaitForAsync(x => Stanzas.BoundJid(x) is not null, "bind result", cancellationToken))!;
        inbox.StopKeeping();
        await send(Stanzas.Presence);
        return jid;
    }
}
