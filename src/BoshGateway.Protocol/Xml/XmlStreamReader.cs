using System.Buffers;
using System.Text;
using System.Xml;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// Incremental reader for XMPP's restricted XML (RFC 6120 §11). Fed bytes in chunks of any size,
/// it reports the root start tag, every complete element directly under the root (as the exact bytes
/// received, plus the little that routing needs) and the root's end. It never builds a DOM: one byte
/// loop, a stack of open element names and the bytes of the current top-level element.
/// </summary>
/// <remarks>
/// Refused with <see cref="XmlStreamException"/>: DTDs, comments, processing instructions other than
/// the XML declaration, entity references other than the five predefined ones and character
/// references, invalid UTF-8 and non-XML characters, unbound prefixes, duplicate attributes, character
/// data directly under the root, and anything over <see cref="XmlLimits"/>. CDATA sections are allowed
/// inside elements (RFC 6120 does not restrict them).
/// </remarks>
public sealed partial class XmlStreamReader
{
    private enum State : byte
    {
        Text, TagOpen, StartName, TagBody, AttrName, AttrAfterName, AttrBeforeValue, AttrValue,
        EmptyTagEnd, EndName, EndAfterName, Entity, Bang, CData, Pi,
    }

    private static ReadOnlySpan<byte> CDataOpen => "[CDATA["u8;

    private readonly IXmlStreamHandler _handler;
    private readonly XmlLimits _limits;
    private readonly bool _documentMode;
    private readonly bool _allowRestart;

    private State _state;
    private State _entityReturn;
    private int _depth;
    private bool _rootSeen;
    private bool _rootClosed;

    // UTF-8 decoding state for validation across chunk boundaries.
    private int _utf8Remaining;
    private int _utf8CodePoint;
    private int _utf8Min;

    // Current name (element, attribute or end tag) and the stack of open element names.
    private byte[] _name = new byte[32]; // grows up to XmlLimits.MaxNameBytes
    private int _nameLength;
    private byte[] _nameStack = new byte[64];
    private int _nameStackLength;
    private int[] _nameStackLengths = new int[16];

    // The start tag being read.
    private int _tagDepth;
    private bool _tagIsRestart;
    private string? _tagName;
    private bool _sawSpace;
    private readonly List<(int Start, int Length)> _attrNameRanges = [];
    private byte[] _attrNames = new byte[64];
    private int _attrNamesLength;
    private readonly List<XmlAttribute> _attrs = [];
    private readonly List<string> _tagDeclarations = [];
    private readonly List<string> _tagAttrPrefixes = [];
    private string? _currentAttrName;
    private bool _collectValues;
    private string? _declaredPrefix;
    private readonly ArrayBufferWriter<byte> _value = new(64);
    private byte _quote;

    // Entity reference, processing instruction and CDATA matching.
    private readonly byte[] _entity = new byte[12];
    private int _entityLength;
    private byte[]? _pi; // only an XML declaration is allowed; allocated when one starts
    private int _piLength;
    private int _bangIndex;
    private int _cdataBrackets;
    private int _textBrackets; // consecutive ']' in character data: "]]>" there is not well-formed (XML 1.0 §2.4)

    // Namespace scopes: the root's declarations, then declarations inside the current top-level element.
    private NamespaceMap _outer = NamespaceMap.Empty;
    private readonly List<(string Prefix, int Depth)> _scope = [];
    private readonly List<string> _inherited = [];

    // The top-level element being captured. An element that starts and ends within one chunk is
    // copied straight from that chunk; only one that spans chunks is gathered here, in a buffer
    // rented from the shared pool and returned when the element is complete, so an idle stream
    // holds no capture buffer.
    private bool _capturing;
    private int _captureFrom;
    private byte[]? _captured;
    private int _capturedLength;
    private bool _completed;
    private string? _topName;
    private string _topNamespace = string.Empty;
    private XmlAttribute[] _topAttributes = [];

    /// <param name="handler">Receives header, elements and end, in order.</param>
    /// <param name="limits">Limits; <see cref="XmlLimits.Default"/> when null.</param>
    /// <param name="documentMode">True for a whole document (a BOSH body): one root, nothing after it.</param>
    /// <param name="allowRestart">True for a backend stream: a new XML declaration and root start tag in
    /// place of a top-level element is a stream restart (after STARTTLS or SASL).</param>
    public XmlStreamReader(IXmlStreamHandler handler, XmlLimits? limits = null, bool documentMode = false, bool allowRestart = false)
    {
        _handler = handler;
        _limits = limits ?? XmlLimits.Default;
        _documentMode = documentMode;
        _allowRestart = allowRestart;
    }

    /// <summary>True once the root element has been closed.</summary>
    public bool RootClosed => _rootClosed;

    /// <summary>True while part of a top-level element has been read but not all of it.</summary>
    public bool IsInsideElement => _capturing || _depth >= 2;

    /// <summary>Starts over, as for a new TCP stream (after STARTTLS).</summary>
    public void Reset()
    {
        _state = State.Text;
        _completed = false;
        _depth = 0;
        _rootSeen = false;
        _rootClosed = false;
        _utf8Remaining = 0;
        _textBrackets = 0;
        _nameStackLength = 0;
        _scope.Clear();
        _outer = NamespaceMap.Empty;
        ResetCapture();
    }

    /// <summary>Reads a chunk; calls the handler for everything it completes. Throws <see cref="XmlStreamException"/>.</summary>
    public void Feed(ReadOnlySpan<byte> data)
    {
        for (var i = 0; i < data.Length; i++)
        {
            var b = data[i];
            if (b >= 0x80)
            {
                Utf8Continue(b);
                NonAscii(b, i);
                continue;
            }
            if (_utf8Remaining != 0)
            {
                throw Error(XmlStreamError.NotWellFormed, "truncated UTF-8 sequence");
            }
            if (b < 0x20 && b is not (0x09 or 0x0A or 0x0D))
            {
                throw Error(XmlStreamError.NotWellFormed, "control character not allowed in XML");
            }
            Ascii(b, i);
            if (_completed)
            {
                _completed = false;
                EmitElement(data[_captureFrom..(i + 1)]);
            }
        }
        if (_capturing)
        {
            Capture(data[_captureFrom..]);
            _captureFrom = 0;
        }
    }

    /// <summary>Feeds every segment of a sequence.</summary>
    public void Feed(in ReadOnlySequence<byte> data)
    {
        foreach (var segment in data)
        {
            Feed(segment.Span);
        }
    }

    /// <summary>For a whole document: throws unless the root was closed.</summary>
    public void Complete()
    {
        if (!_rootClosed || _state != State.Text || _utf8Remaining != 0)
        {
            throw Error(XmlStreamError.NotWellFormed, "document ended before its root element was closed");
        }
    }

    private void NonAscii(byte b, int i)
    {
        switch (_state)
        {
            case State.Text:
                if (_depth < 2)
                {
                    throw Error(XmlStreamError.BadFormat, "character data is not allowed here");
                }
                _textBrackets = 0;
                break;
            case State.TagOpen:
                _state = State.StartName;
                _nameLength = 0;
                AppendName(b);
                break;
            case State.StartName:
            case State.AttrName:
            case State.EndName:
                AppendName(b);
                CheckNameCharacter();
                break;
            case State.TagBody:
                if (!_sawSpace)
                {
                    throw Error(XmlStreamError.NotWellFormed, "attributes must be separated by white space");
                }
                _nameLength = 0;
                AppendName(b);
                _state = State.AttrName;
                break;
            case State.AttrValue:
                AppendValue(b);
                break;
            case State.CData:
                _cdataBrackets = 0;
                break;
            case State.Pi:
                AppendPi(b);
                break;
            default:
                throw Error(XmlStreamError.NotWellFormed, "unexpected character in markup");
        }
        CheckCaptureLimit(i);
    }

    private void Ascii(byte b, int i)
    {
        switch (_state)
        {
            case State.Text:
                if (b == '>' && _textBrackets >= 2)
                {
                    // Forwarded as it is, it would break the server's or the client's parser (found by fuzzing).
                    throw Error(XmlStreamError.NotWellFormed, "']]>' is not allowed in character data");
                }
                _textBrackets = b == ']' ? _textBrackets + 1 : 0;
                if (b == '<')
                {
                    if (_depth == 1 && !_capturing)
                    {
                        _capturing = true;
                        _captureFrom = i;
                    }
                    _state = State.TagOpen;
                }
                else if (_depth < 2)
                {
                    if (!IsSpace(b))
                    {
                        throw Error(XmlStreamError.BadFormat, "character data is not allowed here");
                    }
                }
                else if (b == '&')
                {
                    _entityReturn = State.Text;
                    _entityLength = 0;
                    _state = State.Entity;
                }
                break;

            case State.TagOpen:
                if (b == '/')
                {
                    _nameLength = 0;
                    _state = State.EndName;
                }
                else if (b == '?')
                {
                    _piLength = 0;
                    _state = State.Pi;
                }
                else if (b == '!')
                {
                    _bangIndex = 0;
                    _state = State.Bang;
                }
                else if (IsNameStart(b))
                {
                    _nameLength = 0;
                    AppendName(b);
                    _state = State.StartName;
                }
                else
                {
                    throw Error(XmlStreamError.NotWellFormed, "invalid character after '<'");
                }
                break;

            case State.StartName:
                if (IsNameChar(b))
                {
                    AppendName(b);
                }
                else
                {
                    BeginStartTag();
                    if (IsSpace(b))
                    {
                        _sawSpace = true;
                        _state = State.TagBody;
                    }
                    else if (b == '>')
                    {
                        CloseStartTag(empty: false);
                    }
                    else if (b == '/')
                    {
                        _state = State.EmptyTagEnd;
                    }
                    else
                    {
                        throw Error(XmlStreamError.NotWellFormed, "invalid character in element name");
                    }
                }
                break;

            case State.TagBody:
                if (IsSpace(b))
                {
                    _sawSpace = true;
                }
                else if (b == '>')
                {
                    CloseStartTag(empty: false);
                }
                else if (b == '/')
                {
                    _state = State.EmptyTagEnd;
                }
                else if (IsNameStart(b) && _sawSpace)
                {
                    _nameLength = 0;
                    AppendName(b);
                    _state = State.AttrName;
                }
                else
                {
                    throw Error(XmlStreamError.NotWellFormed, "invalid character in start tag");
                }
                break;

            case State.AttrName:
                if (IsNameChar(b))
                {
                    AppendName(b);
                }
                else if (IsSpace(b))
                {
                    EndAttributeName();
                    _state = State.AttrAfterName;
                }
                else if (b == '=')
                {
                    EndAttributeName();
                    _state = State.AttrBeforeValue;
                }
                else
                {
                    throw Error(XmlStreamError.NotWellFormed, "invalid character in attribute name");
                }
                break;

            case State.AttrAfterName:
                if (b == '=')
                {
                    _state = State.AttrBeforeValue;
                }
                else if (!IsSpace(b))
                {
                    throw Error(XmlStreamError.NotWellFormed, "attribute without value");
                }
                break;

            case State.AttrBeforeValue:
                if (b is (byte)'\'' or (byte)'"')
                {
                    _quote = b;
                    _value.ResetWrittenCount();
                    _state = State.AttrValue;
                }
                else if (!IsSpace(b))
                {
                    throw Error(XmlStreamError.NotWellFormed, "attribute value must be quoted");
                }
                break;

            case State.AttrValue:
                if (b == _quote)
                {
                    EndAttributeValue();
                    _sawSpace = false;
                    _state = State.TagBody;
                }
                else if (b == '<')
                {
                    throw Error(XmlStreamError.NotWellFormed, "'<' in attribute value");
                }
                else if (b == '&')
                {
                    _entityReturn = State.AttrValue;
                    _entityLength = 0;
                    _state = State.Entity;
                }
                else
                {
                    AppendValue(b);
                }
                break;

            case State.EmptyTagEnd:
                if (b != '>')
                {
                    throw Error(XmlStreamError.NotWellFormed, "expected '>' after '/'");
                }
                CloseStartTag(empty: true);
                break;

            case State.EndName:
                if (IsNameChar(b) && (_nameLength > 0 || IsNameStart(b)))
                {
                    AppendName(b);
                }
                else if (IsSpace(b) && _nameLength > 0)
                {
                    _state = State.EndAfterName;
                }
                else if (b == '>' && _nameLength > 0)
                {
                    CloseEndTag();
                }
                else
                {
                    throw Error(XmlStreamError.NotWellFormed, "invalid end tag");
                }
                break;

            case State.EndAfterName:
                if (b == '>')
                {
                    CloseEndTag();
                }
                else if (!IsSpace(b))
                {
                    throw Error(XmlStreamError.NotWellFormed, "invalid end tag");
                }
                break;

            case State.Entity:
                if (b == ';')
                {
                    EndEntity();
                }
                else if (_entityLength == _entity.Length)
                {
                    throw Error(XmlStreamError.RestrictedXml, "entity reference too long or unterminated");
                }
                else
                {
                    _entity[_entityLength++] = b;
                }
                break;

            case State.Bang:
                if (_bangIndex >= CDataOpen.Length || b != CDataOpen[_bangIndex])
                {
                    throw Error(XmlStreamError.RestrictedXml, "comments and document type declarations are not allowed");
                }
                if (++_bangIndex == CDataOpen.Length)
                {
                    if (_depth < 2)
                    {
                        throw Error(XmlStreamError.BadFormat, "character data is not allowed here");
                    }
                    _cdataBrackets = 0;
                    _state = State.CData;
                }
                break;

            case State.CData:
                if (b == ']')
                {
                    _cdataBrackets = Math.Min(_cdataBrackets + 1, 2);
                }
                else
                {
                    if (b == '>' && _cdataBrackets == 2)
                    {
                        _state = State.Text;
                    }
                    _cdataBrackets = 0;
                }
                break;

            case State.Pi:
                if (b == '>' && _piLength > 0 && _pi![_piLength - 1] == '?')
                {
                    _piLength--;
                    EndProcessingInstruction();
                }
                else
                {
                    AppendPi(b);
                }
                break;
        }
        CheckCaptureLimit(i);
    }

    private void Utf8Continue(byte b)
    {
        if (_utf8Remaining == 0)
        {
            (_utf8Remaining, _utf8CodePoint, _utf8Min) = b switch
            {
                >= 0xC2 and <= 0xDF => (1, b & 0x1F, 0x80),
                >= 0xE0 and <= 0xEF => (2, b & 0x0F, 0x800),
                >= 0xF0 and <= 0xF4 => (3, b & 0x07, 0x10000),
                _ => throw Error(XmlStreamError.NotWellFormed, "invalid UTF-8"),
            };
            return;
        }
        if ((b & 0xC0) != 0x80)
        {
            throw Error(XmlStreamError.NotWellFormed, "invalid UTF-8");
        }
        _utf8CodePoint = (_utf8CodePoint << 6) | (b & 0x3F);
        if (--_utf8Remaining == 0 && !IsXmlChar(_utf8CodePoint, _utf8Min))
        {
            throw Error(XmlStreamError.NotWellFormed, "invalid UTF-8 or a character XML does not allow");
        }
    }

    private static bool IsXmlChar(int cp, int min) =>
        cp >= min && cp <= 0x10FFFF && cp is < 0xD800 or > 0xDFFF && cp is not (0xFFFE or 0xFFFF);

    /// <summary>
    /// Once a non-ASCII character of a name is complete: XML 1.0 fourth-edition name characters
    /// (Appendix B), which is what expat (Prosody, ejabberd) and System.Xml accept. The fifth edition
    /// allows far more (U+FEFF, U+2070, U+10000…); a name either parser refuses would end the server's
    /// stream or break the client's, so it is refused here as not-well-formed (found by fuzzing).
    /// </summary>
    private void CheckNameCharacter()
    {
        if (_utf8Remaining != 0)
        {
            return;
        }
        var length = _utf8Min switch { 0x80 => 2, 0x800 => 3, _ => 4 };
        var ok = _utf8CodePoint <= 0xFFFF && (_nameLength == length
            ? XmlConvert.IsStartNCNameChar((char)_utf8CodePoint)
            : XmlConvert.IsNCNameChar((char)_utf8CodePoint));
        if (!ok)
        {
            throw Error(XmlStreamError.NotWellFormed, "character not allowed in a name");
        }
    }

    private static bool IsSpace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r';

    private static bool IsNameStart(byte b) => b is >= (byte)'a' and <= (byte)'z' or >= (byte)'A' and <= (byte)'Z' or (byte)'_' or (byte)':';

    private static bool IsNameChar(byte b) => IsNameStart(b) || b is >= (byte)'0' and <= (byte)'9' or (byte)'-' or (byte)'.';

    private void AppendName(byte b)
    {
        if (_nameLength == _name.Length)
        {
            if (_nameLength >= _limits.MaxNameBytes)
            {
                throw Error(XmlStreamError.PolicyViolation, "name too long");
            }
            Array.Resize(ref _name, Math.Min(_name.Length * 2, _limits.MaxNameBytes));
        }
        _name[_nameLength++] = b;
    }

    private void AppendValue(byte b)
    {
        // A declaration's value is read at any depth: Namespaces in XML rules depend on it.
        if (!_collectValues && _declaredPrefix is null)
        {
            return;
        }
        if (_value.WrittenCount >= _limits.MaxHeaderAttributeBytes)
        {
            throw Error(XmlStreamError.PolicyViolation, "attribute value too long");
        }
        _value.GetSpan(1)[0] = b;
        _value.Advance(1);
    }

    private void AppendPi(byte b)
    {
        _pi ??= new byte[256];
        if (_piLength == _pi.Length)
        {
            throw Error(XmlStreamError.RestrictedXml, "processing instructions are not allowed");
        }
        _pi[_piLength++] = b;
    }

    private void CheckCaptureLimit(int i)
    {
        if (_capturing && _capturedLength + (i - _captureFrom + 1) > _limits.MaxElementBytes)
        {
            throw Error(XmlStreamError.PolicyViolation, "element larger than the stanza size limit");
        }
    }

    /// <summary>Keeps the part of an unfinished element that this chunk holds.</summary>
    private void Capture(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            return;
        }
        var needed = _capturedLength + bytes.Length;
        if (needed > _limits.MaxElementBytes)
        {
            throw Error(XmlStreamError.PolicyViolation, "element larger than the stanza size limit");
        }
        if (_captured is null || needed > _captured.Length)
        {
            var larger = ArrayPool<byte>.Shared.Rent(Math.Max(needed, Math.Min(2 * (_captured?.Length ?? 512), _limits.MaxElementBytes)));
            if (_captured is not null)
            {
                _captured.AsSpan(0, _capturedLength).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_captured);
            }
            _captured = larger;
        }
        bytes.CopyTo(_captured.AsSpan(_capturedLength));
        _capturedLength = needed;
    }

    private void ResetCapture()
    {
        _capturing = false;
        if (_captured is not null)
        {
            ArrayPool<byte>.Shared.Return(_captured);
            _captured = null;
            _capturedLength = 0;
        }
        _inherited.Clear();
        _topName = null;
        _topAttributes = [];
    }

    private static XmlStreamException Error(XmlStreamError error, string message) => new(error, message);
}
