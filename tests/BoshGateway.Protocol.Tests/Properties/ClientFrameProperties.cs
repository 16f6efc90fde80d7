using System.Text;
using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;
using CsCheck;

namespace BoshGateway.Protocol.Tests.Properties;

/// <summary>
/// Robustness §3.2, WebSocket side: any valid stanza sequence sent one stanza per message comes out of
/// <see cref="ClientFrameParser"/> as the same elements, in order, each with exactly the bytes the gateway
/// forwards (<see cref="XmlElement.Raw"/>, XmppWebSocketSession.ForwardAsync). Messages are parsed one after
/// another on the same thread, so the per-thread cached reader is reused between them, also after a refused
/// (truncated) message.
/// </summary>
public class ClientFrameProperties
{
    private static readonly HashSet<string> NoRootPrefixes = [];

    /// <summary>One WebSocket message: a stanza with what may surround it, or (Truncated) a strict prefix of that.</summary>
    internal sealed record Message(Stanza Stanza, string Declaration, string Lead, string Trail, int? Truncated)
    {
        public string Text => Declaration + Lead + Stanza.Xml + Trail;

        public byte[] Bytes
        {
            get
            {
                var bytes = Encoding.UTF8.GetBytes(Text);
                return Truncated is { } n ? bytes[..(n % (Encoding.UTF8.GetByteCount(Declaration + Lead + Stanza.Xml)))] : bytes;
            }
        }

        public override string ToString() => (Truncated is null ? "" : $"[first {Truncated} bytes of] ") + Text;
    }

    private static readonly Gen<Message> Messages = Gen.Select(
        StanzaGen.Stanza(inheritRootPrefix: false),
        Gen.OneOf("", "", "<?xml version='1.0'?>", "<?xml version=\"1.0\" encoding=\"utf-8\" ?>"),
        StanzaGen.Between,
        StanzaGen.Between,
        Gen.Int.NonNegative.Nullable(0.85),
        (stanza, declaration, lead, trail, truncated) => new Message(stanza, declaration, declaration.Length > 0 ? "" : lead, trail, truncated));

    [Fact]
    public void AnyStanzaSequence_OneStanzaPerMessage_ArrivesByteEqualAndInOrder()
    {
        Messages.Array[1, 8].Sample(messages =>
        {
            var forwarded = new List<XmlElement>();
            foreach (var m in messages)
            {
                if (m.Truncated is not null)
                {
                    Assert.Throws<XmlStreamException>(() => ClientFrameParser.Parse(m.Bytes));
                    continue;
                }
                var frame = ClientFrameParser.Parse(m.Bytes);
                Assert.Equal(ClientFrameKind.Element, frame.Kind);
                forwarded.Add(frame.Element);
            }

            var sent = messages.Where(m => m.Truncated is null).Select(m => m.Stanza).ToArray();
            Assert.Equal(sent.Length, forwarded.Count);
            for (var i = 0; i < sent.Length; i++)
            {
                StreamSplitProperties.AssertElement(sent[i], forwarded[i], NoRootPrefixes);
                Assert.True(forwarded[i].IsStanza() || forwarded[i].NamespaceUri.Length == 0, $"{forwarded[i].NamespaceUri}");
                Assert.Null(ClientElementPolicy.Refusal(forwarded[i]));
            }
        }, print: ms => string.Join("\n", ms.Select(m => m.ToString())));
    }
}
