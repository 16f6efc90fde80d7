using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.WebSockets;

// What the server sends, from the backend's read loop: one WebSocket message per element.
public sealed partial class XmppWebSocketSession
{
    public void OnBackendHeader(XmlStreamHeader header) => Enqueue(FramingElements.OpenFromStreamHeader(header, _domain));

    public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
    {
        var forClient = ServerElementFilter.ToClient(element, streamNamespaces);
        Info.CountToClient(forClient.Length, element.IsStanza());
        if (element.Is("error", XmlNames.Streams))
        {
            EndByServer(forClient, "the server sent a stream error");
            return;
        }
        _lifecycle.ObserveFromServer(Info, element);
        Enqueue(forClient);
    }

    public void OnBackendClosed(Exception? failure)
    {
        if (failure is null)
        {
            EndByServer(null, "the server closed the stream");
        }
        else
        {
            Fail("remote-connection-failed", System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, Sessions.SessionEndReason.BackendClosed, failure.Message);
        }
    }
}
