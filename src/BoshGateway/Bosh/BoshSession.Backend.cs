using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;

namespace BoshGateway.Bosh;

// What the server sends, from the backend's read loop.
public sealed partial class BoshSession
{
    private bool _streamManagement;

    public void OnBackendHeader(XmlStreamHeader header)
    {
        lock (_sync)
        {
            _streamId ??= header.GetAttribute("id");
            _streamFrom ??= header.GetAttribute("from");
            _streamVersion ??= header.GetAttribute("version");
        }
    }

    public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
    {
        var forClient = ServerElementFilter.ToClient(element, streamNamespaces);
        Info.CountToClient(forClient.Length, element.IsStanza());
        _lifecycle.ObserveFromServer(Info, element);
        lock (_sync)
        {
            if (_isEnded)
            {
                return;
            }
            if (element.Is("error", XmlNames.Streams))
            {
                Log.Terminated(_logger, _p.Sid, BoshConditions.RemoteStreamError, "the server sent a stream error");
                EndWith(BoshConditions.RemoteStreamError, forClient, SessionEndReason.BackendClosed, hasCurrentRequest: false);
                return;
            }
            QueueForClient(forClient);
            _outboxHasStreamElement |= element.NamespaceUri == XmlNames.Streams;
            _streamManagement |= element.LocalName == "enabled" && XmlNames.IsStreamManagement(element.NamespaceUri);
            _isLive |= IsLiveFrom(element);
            if (element.IsStanza())
            {
                if (StanzaBounce.Of(element) is { } bounce)
                {
                    _outboxBounces.Add(bounce);
                }
                if (_boundJid is null && ResourceBinding.TryGetBoundJid(element) is { } jid)
                {
                    _boundJid = jid;
                    _boundJidReported = false;
                    _isLive = true;
                }
            }
            Flush();
            PauseReadingIfFull();
        }
    }

    public void OnBackendClosed(Exception? failure)
    {
        lock (_sync)
        {
            if (_isEnded)
            {
                return;
            }
            var condition = failure is null ? null : BoshConditions.RemoteConnectionFailed;
            Log.Terminated(_logger, _p.Sid, condition ?? "none", failure?.Message ?? "the server closed the stream");
            EndWith(condition, null, SessionEndReason.BackendClosed, hasCurrentRequest: false);
        }
    }
}
