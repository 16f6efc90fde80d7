namespace BoshGateway.LoadGenerator;

/// <summary>The login both transports go through once their stream is open: SASL (PLAIN or SCRAM-SHA-1), stream restart, bind, presence.</summary>
internal static class XmppLogin
{
    /// <summary>Waits for the first stream features (SASL mechanisms) of a stream just opened; throws on a stream error instead.</summary>
    public static async Task<string> WaitForFeaturesAsync(Inbox inbox, CancellationToken cancellationToken)
    {
        var features = await inbox.WaitForAsync(x => x.Contains("mechanisms", StringComparison.Ordinal) || Stanzas.IsStreamError(x), "SASL mechanisms", cancellationToken);
        return Stanzas.IsStreamError(features) ? throw new InvalidOperationException($"stream error before login: {features}") : features;
    }

    /// <summary>Logs in over a stream whose features have arrived and whose answers arrive in <paramref name="inbox"/>; returns the bound JID (without <paramref name="bind"/>: stops before binding, returns "").</summary>
    public static async Task<string> RunAsync(Inbox inbox, Func<string, Task> send, Func<Task> restart, Credentials credentials, bool bind, CancellationToken cancellationToken)
    {
        var user = credentials.User;
        ScramSha1? scram = null;
        if (credentials.Mechanism == "SCRAM-SHA-1")
        {
            scram = new ScramSha1(user, credentials.Password);
            await send(scram.Auth());
            var challenge = await inbox.WaitForAsync(x => Stanzas.IsSaslChallenge(x) || Stanzas.IsSaslFailure(x), "SASL challenge", cancellationToken);
            if (!Stanzas.IsSaslChallenge(challenge))
            {
                throw new InvalidOperationException($"{user}: SASL failed: {challenge}");
            }
            await send(scram.Respond(Stanzas.Text(challenge, "challenge")));
        }
        else
        {
            await send(Stanzas.Plain(user, credentials.Password));
        }
        var outcome = await inbox.WaitForAsync(x => Stanzas.IsSaslSuccess(x) || Stanzas.IsSaslFailure(x), "SASL outcome", cancellationToken);
        if (!Stanzas.IsSaslSuccess(outcome))
        {
            throw new InvalidOperationException($"{user}: SASL failed: {outcome}");
        }
        if (scram is not null && !scram.VerifyServer(Stanzas.Text(outcome, "success")))
        {
            throw new InvalidOperationException($"{user}: SCRAM server signature does not verify");
        }
        await restart();
        await inbox.WaitForAsync(Stanzas.HasBindFeature, "bind feature", cancellationToken);
        if (!bind)
        {
            inbox.StopKeeping();
            return "";
        }
        await send(Stanzas.Bind);
        var jid = Stanzas.BoundJid(await inbox.WaitForAsync(x => Stanzas.BoundJid(x) is not null, "bind result", cancellationToken))!;
        inbox.StopKeeping();
        await send(Stanzas.Presence);
        return jid;
    }
}

/// <summary>Who logs in, and how: <c>PLAIN</c> or <c>SCRAM-SHA-1</c>.</summary>
internal sealed record Credentials(string User, string Password, string Mechanism);
