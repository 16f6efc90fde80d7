using System.Security.Cryptography;
using System.Text;
using BoshGateway.Tests.Bosh;
using CsCheck;

namespace BoshGateway.Tests.Properties;

/// <summary>
/// Robustness §3.2 for the BOSH rid window (XEP-0124 §14), on the unit harness (fake clock, fake backend):
/// whatever order the requests of a window arrive in, the server gets their payloads in rid order, each
/// exactly once and never ahead of a gap; and replaying answered rids still in the window repeats their
/// answers byte for byte and writes nothing to the server. A failure prints the CsCheck seed; rerun with
/// <c>seed:</c> or <c>-e CsCheck_Seed=...</c>.
/// </summary>
public class RidWindowProperties
{
    private const int Wait = 10;

    /// <summary>One round: the requests of a window, sent in <paramref name="Order"/> (offsets from the round's first rid), each with 1 or 2 messages.</summary>
    internal sealed record Round(int[] Order, int[] Messages)
    {
        public override string ToString() => $"order [{string.Join(",", Order)}] messages [{string.Join(",", Messages)}]";
    }

    internal sealed record PermutationCase(int Hold, bool Acks, Round[] Rounds)
    {
        public override string ToString() => $"hold {Hold} acks {Acks}: " + string.Join("; ", Rounds.Select(r => r.ToString()));
    }

    private static readonly Gen<PermutationCase> PermutationCases =
        from hold in Gen.Int[1, 4]
        from acks in Gen.Bool
        from rounds in (
            from k in Gen.Int[1, hold + 1]
            from order in Gen.Shuffle(Enumerable.Range(0, k).ToArray())
            from messages in Gen.Int[1, 2].Array[k]
            select new Round(order, messages)).Array[1, 3]
        select new PermutationCase(hold, acks, rounds);

    private static string[] Payload(long rid, int messages) =>
        [.. Enumerable.Range(0, messages).Select(m => $"<message to='bob@localhost' id='r{rid}-{m}' type='chat'><body>rid {rid} #{m} \u00e9\U0001F600</body></message>")];

    [Fact]
    public async Task AnyPermutationWithinTheRidWindow_ForwardsTheSameSequence()
    {
        await PermutationCases.SampleAsync(async c =>
        {
            var h = new SessionHarness(wait: Wait, hold: c.Hold, acks: c.Acks, inactivity: 60);
            Assert.Equal(c.Hold + 1, h.Parameters.Requests);
            var expected = new List<string>();
            var pending = new List<SessionHarness.Pending>();
            var first = SessionHarness.FirstRid + 1;
            foreach (var round in c.Rounds)
            {
                var arrived = new bool[round.Order.Length];
                var forwardedUpTo = 0;
                foreach (var offset in round.Order)
                {
                    pending.Add(h.Send(first + offset, string.Concat(Payload(first + offset, round.Messages[offset]))));
                    arrived[offset] = true;
                    // Forwarded as soon as the rids before it are in, never ahead of a gap.
                    while (forwardedUpTo < arrived.Length && arrived[forwardedUpTo])
                    {
                        expected.AddRange(Payload(first + forwardedUpTo, round.Messages[forwardedUpTo]));
                        forwardedUpTo++;
                    }
                    Assert.Equal(expected, h.Backend.Sent);
                }
                first += round.Order.Length;
                h.Advance(Wait + 1); // every held request answered: the client may send a whole window again
            }

            foreach (var p in pending)
            {
                var answer = await SessionHarness.Answer(p);
                Assert.Null((string?)answer.Attribute("type"));
            }
            Assert.Empty(h.EndedWith);
        }, print: c => c.ToString());
    }

    /// <summary>
    /// Steps: a request (rid = previous + 1) with one message, then some server stanzas, then perhaps time past
    /// <c>wait</c>; then replays of answered rids among the last <c>requests</c> (offsets back from the newest rid;
    /// offset <c>requests - 1</c> from the first request is the creation rid).
    /// </summary>
    internal sealed record Step(int ServerStanzas, bool WaitOut, int[] Replays)
    {
        public override string ToString() => $"(server {ServerStanzas}{(WaitOut ? ", wait out" : "")}, replay [{string.Join(",", Replays)}])";
    }

    internal sealed record ReplayCase(int Hold, bool Acks, bool Keys, Step[] Steps, int[] FinalReplays)
    {
        public override string ToString() =>
            $"hold {Hold} acks {Acks} keys {Keys}: {string.Join(" ", Steps.Select(s => s.ToString()))} then replay [{string.Join(",", FinalReplays)}]";
    }

    private static readonly Gen<ReplayCase> ReplayCases =
        from hold in Gen.Int[1, 4]
        from acks in Gen.Bool
        from keys in Gen.Bool
        from steps in Gen.Select(Gen.Int[0, 2], Gen.Bool, Gen.Int[0, hold].Array[0, 3], (s, w, r) => new Step(s, w, r)).Array[1, 10]
        from finalReplays in Gen.Int[0, hold].Array[0, hold + 2]
        select new ReplayCase(hold, acks, keys, steps, finalReplays);

    [Fact]
    public async Task ReplayingAnsweredRidsInTheWindow_ChangesNothingAtTheBackend()
    {
        await ReplayCases.SampleAsync(async c =>
        {
            // XEP-0124 §15 key chain: key[i + 1] hashes to key[i]; the session starts with key[0], request i sends key[i + 1].
            var chain = new string[c.Steps.Length + 2];
            chain[^1] = "seed";
            for (var i = chain.Length - 2; i >= 0; i--)
            {
                chain[i] = Sha1(chain[i + 1]);
            }
            var h = new SessionHarness(wait: Wait, hold: c.Hold, acks: c.Acks, key: c.Keys ? chain[0] : null, inactivity: 60);
            var sent = new List<string>();
            var answers = new Dictionary<long, SessionHarness.Pending>();
            var creation = SessionHarness.FirstRid;
            var rid = creation;

            string Attributes(long r) => c.Keys && r > creation ? $"key='{chain[r - creation]}'" : "";
            string Message(long r) => $"<message to='bob@localhost' id='c{r}'><body>{r} &amp; \U0001F600</body></message>";

            async Task Replay(int offset)
            {
                var r = rid - offset;
                if (r < creation || (r > creation && !answers[r].IsCompleted))
                {
                    return; // before the session, or held: not answered yet (resending a held rid is another rule)
                }
                var original = r == creation ? h.CreationBody : await answers[r];
                var backendBefore = h.Backend.Sent;
                var restartsBefore = h.Backend.Restarts;
                var replay = h.Send(r, r == creation ? "" : Message(r), Attributes(r));
                Assert.True(replay.IsCompleted, $"replay of {r} should be answered at once");
                Assert.Equal(original, await replay);
                Assert.Equal(backendBefore, h.Backend.Sent);
                Assert.Equal(restartsBefore, h.Backend.Restarts);
                Assert.Empty(h.EndedWith);
            }

            var serverId = 0;
            foreach (var step in c.Steps)
            {
                rid++;
                answers[rid] = h.Send(rid, Message(rid), Attributes(rid));
                sent.Add(Message(rid));
                Assert.Equal(sent, h.Backend.Sent);
                for (var s = 0; s < step.ServerStanzas; s++)
                {
                    h.Backend.Server($"<message from='alice@localhost' id='s{serverId++}'><body>reply \u00e9</body></message>");
                }
                if (step.WaitOut)
                {
                    h.Advance(Wait + 1);
                }
                foreach (var offset in step.Replays)
                {
                    await Replay(offset);
                }
            }
            h.Advance(Wait + 1);
            foreach (var offset in c.FinalReplays)
            {
                await Replay(offset);
            }

            // The window moved on as if no replay had come: the next rid is taken and forwarded once.
            rid++;
            var next = h.Send(rid, Message(rid), Attributes(rid));
            sent.Add(Message(rid));
            Assert.Equal(sent, h.Backend.Sent);
            h.Advance(Wait + 1);
            Assert.Null((string?)(await SessionHarness.Answer(next)).Attribute("type"));
            foreach (var answer in answers.Values)
            {
                Assert.Null((string?)(await SessionHarness.Answer(answer)).Attribute("type"));
            }
            Assert.Empty(h.EndedWith);
        }, print: c => c.ToString());
    }

    private static string Sha1(string text) => Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
}
