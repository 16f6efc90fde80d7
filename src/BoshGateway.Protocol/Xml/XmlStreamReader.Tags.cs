using System.Globalization;
using System.Text;

namespace BoshGateway.Protocol.Xml;

// Start tags, end tags and namespace scopes.
public sealed partial class XmlStreamReader
{
    private void BeginStartTag()
    {
        if (_rootClosed || (_depth == 0 && _rootSeen))
        {
            throw Error(XmlStreamError.NotWellFormed, "content after the root element");
        }
        CheckQualifiedName();
        _tagIsRestart = _depth == 1 && _allowRestart && CurrentNameEqualsOpen();
        _tagDepth = _tagIsRestart ? 1 : _depth + 1;
        if (_tagDepth > _limits.MaxDepth)
        {
            throw Error(XmlStreamError.PolicyViolation, "elements nested too deeply");
        }
        _collectValues = _tagDepth <= 2;
        _tagName = _collectValues ? KnownStrings.Get(_name.AsSpan(0, _nameLength)) : null;
        _attrNameRanges.Clear();
        _attrNamesLength = 0;
        _attrs.Clear();
        _tagDeclarations.Clear();
        _tagAttrPrefixes.Clear();
        _sawSpace = false;
        if (_tagIsRestart)
        {
            ResetCapture();
        }
        else
        {
            PushName();
        }
    }

    private void EndAttributeName()
    {
        var name = _name.AsSpan(0, _nameLength);
        if (_attrNameRanges.Count >= _limits.MaxAttributes)
        {
            throw Error(XmlStreamError.PolicyViolation, "too many attributes");
        }
        foreach (var (start, length) in _attrNameRanges)
        {
            if (name.SequenceEqual(_attrNames.AsSpan(start, length)))
            {
                throw Error(XmlStreamError.NotWellFormed, "duplicate attribute");
            }
        }
        CheckQualifiedName();
        if (_attrNamesLength + _nameLength > _attrNames.Length)
        {
            Array.Resize(ref _attrNames, Math.Max(_attrNames.Length * 2, _attrNamesLength + _nameLength));
        }
        name.CopyTo(_attrNames.AsSpan(_attrNamesLength));
        _attrNameRanges.Add((_attrNamesLength, _nameLength));
        _attrNamesLength += _nameLength;

        _currentAttrName = _collectValues ? KnownStrings.Get(name) : null;
        _declaredPrefix = null;
        if (name.SequenceEqual("xmlns"u8))
        {
            _declaredPrefix = string.Empty;
        }
        else if (name.StartsWith("xmlns:"u8))
        {
            _declaredPrefix = KnownStrings.Get(name[6..]);
            if (_declaredPrefix == "xmlns")
            {
                throw Error(XmlStreamError.NotWellFormed, "the prefix xmlns cannot be declared");
            }
        }
        if (_declaredPrefix is not null)
        {
            _tagDeclarations.Add(_declaredPrefix);
        }
        else
        {
            var colon = name.IndexOf((byte)':');
            if (colon > 0 && !name[..colon].SequenceEqual("xml"u8))
            {
                _tagAttrPrefixes.Add(KnownStrings.Get(name[..colon]));
            }
        }
    }

    private void EndAttributeValue()
    {
        if (_declaredPrefix is not null)
        {
            CheckDeclaration(_declaredPrefix, _value.WrittenSpan);
        }
        if (_collectValues)
        {
            _attrs.Add(new XmlAttribute(_currentAttrName!, KnownStrings.Get(_value.WrittenSpan)));
        }
    }

    private void CloseStartTag(bool empty)
    {
        _state = State.Text;
        if (_tagDepth == 1)
        {
            CloseRootStartTag(empty);
            return;
        }

        foreach (var prefix in _tagDeclarations)
        {
            _scope.Add((prefix, _tagDepth));
        }
        var elementPrefix = CurrentPrefix();
        Resolve(elementPrefix);
        foreach (var prefix in _tagAttrPrefixes)
        {
            Resolve(prefix);
        }
        if (_tagDepth == 2)
        {
            _topName = _tagName;
            _topAttributes = [.. _attrs];
            _topNamespace = NamespaceOf(elementPrefix, _attrs, _outer);
        }
        _attrs.Clear(); // copied where needed: an idle reader keeps no strings of the last stanza
        if (empty)
        {
            PopScope(_tagDepth);
            PopName(_tagDepth);
            _completed = _tagDepth == 2;
        }
        else
        {
            _depth = _tagDepth;
        }
    }

    private void CloseRootStartTag(bool empty)
    {
        var namespaces = NamespaceMap.Declared(_attrs);
        var prefix = XmlNames.Prefix(_tagName!);
        if (prefix.Length > 0 && !namespaces.ContainsKey(prefix))
        {
            throw Error(XmlStreamError.NotWellFormed, "unbound prefix on the root element");
        }
        foreach (var p in _tagAttrPrefixes)
        {
            if (!namespaces.ContainsKey(p))
            {
                throw Error(XmlStreamError.NotWellFormed, "unbound attribute prefix on the root element");
            }
        }
        namespaces.TryGetValue(prefix, out var ns);
        var header = new XmlStreamHeader(_tagName!, ns ?? string.Empty, [.. _attrs], namespaces, empty);
        _attrs.Clear();
        _outer = namespaces;
        _scope.Clear();
        _rootSeen = true;
        _depth = 1;
        _handler.OnStreamHeader(header);
        if (empty)
        {
            PopName(1);
            _depth = 0;
            _rootClosed = true;
            _handler.OnStreamEnd();
        }
    }

    private void CloseEndTag()
    {
        if (_depth == 0)
        {
            throw Error(XmlStreamError.NotWellFormed, "end tag without a start tag");
        }
        var top = _nameStackLengths[_depth - 1];
        var openName = _nameStack.AsSpan(_nameStackLength - top, top);
        if (!openName.SequenceEqual(_name.AsSpan(0, _nameLength)))
        {
            throw Error(XmlStreamError.NotWellFormed, "end tag does not match start tag");
        }
        PopName(_depth);
        PopScope(_depth);
        _depth--;
        _state = State.Text;
        if (_depth == 1)
        {
            _completed = true;
        }
        else if (_depth == 0)
        {
            _rootClosed = true;
            ResetCapture();
            _handler.OnStreamEnd();
        }
    }

    /// <param name="tail">The element's bytes in the current chunk: all of it unless it spans chunks.</param>
    private void EmitElement(ReadOnlySpan<byte> tail)
    {
        byte[] bytes;
        if (_capturedLength == 0)
        {
            bytes = tail.ToArray();
        }
        else
        {
            Capture(tail);
            bytes = _captured.AsSpan(0, _capturedLength).ToArray();
        }
        var element = new XmlElement(bytes, _topName!, _topNamespace, _topAttributes, [.. _inherited]);
        ResetCapture();
        _handler.OnElement(element);
    }

    private void Resolve(string prefix)
    {
        if (prefix == "xml")
        {
            return;
        }
        for (var i = _scope.Count - 1; i >= 0; i--)
        {
            if (_scope[i].Prefix == prefix)
            {
                return;
            }
        }
        if (_outer.ContainsKey(prefix))
        {
            if (!_inherited.Contains(prefix))
            {
                _inherited.Add(prefix);
            }
        }
        else if (prefix.Length > 0)
        {
            throw Error(XmlStreamError.NotWellFormed, "unbound namespace prefix");
        }
    }

    private static string NamespaceOf(string prefix, List<XmlAttribute> attrs, NamespaceMap outer)
    {
        var declaration = prefix.Length == 0 ? "xmlns" : "xmlns:" + prefix;
        foreach (var a in attrs)
        {
            if (a.Name == declaration)
            {
                return a.Value;
            }
        }
        return outer.TryGetValue(prefix, out var uri) ? uri : string.Empty;
    }

    private void PopScope(int depth)
    {
        while (_scope.Count > 0 && _scope[^1].Depth == depth)
        {
            _scope.RemoveAt(_scope.Count - 1);
        }
    }

    private string CurrentPrefix()
    {
        var top = _nameStackLengths[_tagDepth - 1];
        var name = _nameStack.AsSpan(_nameStackLength - top, top);
        var colon = name.IndexOf((byte)':');
        return colon < 0 ? string.Empty : KnownStrings.Get(name[..colon]);
    }

    /// <summary>
    /// Namespaces in XML 1.0 §3, as expat (Prosody, ejabberd) and System.Xml enforce them: a prefix
    /// cannot be undeclared (<c>xmlns:p=''</c>), <c>xml</c> is bound to its namespace and nothing else
    /// is, and nothing is bound to the <c>xmlns</c> namespace (found by fuzzing).
    /// </summary>
    private static void CheckDeclaration(string prefix, ReadOnlySpan<byte> value)
    {
        var isXml = value.SequenceEqual("http://www.w3.org/XML/1998/namespace"u8);
        var ok = prefix.Length == 0
            ? !isXml && !value.SequenceEqual("http://www.w3.org/2000/xmlns/"u8)
            : value.Length > 0 && (prefix == "xml") == isXml && !value.SequenceEqual("http://www.w3.org/2000/xmlns/"u8);
        if (!ok)
        {
            throw Error(XmlStreamError.NotWellFormed, "invalid namespace declaration");
        }
    }

    private void CheckQualifiedName()
    {
        var name = _name.AsSpan(0, _nameLength);
        var colon = name.IndexOf((byte)':');
        if (colon == 0 || colon == name.Length - 1 || (colon > 0 && name[(colon + 1)..].IndexOf((byte)':') >= 0))
        {
            throw Error(XmlStreamError.NotWellFormed, "malformed qualified name");
        }
    }

    private bool CurrentNameEqualsOpen()
    {
        var top = _nameStackLengths[0];
        return _nameStack.AsSpan(0, top).SequenceEqual(_name.AsSpan(0, _nameLength));
    }

    private void PushName()
    {
        if (_nameStackLength + _nameLength > _nameStack.Length)
        {
            Array.Resize(ref _nameStack, Math.Max(_nameStack.Length * 2, _nameStackLength + _nameLength));
        }
        if (_depth >= _nameStackLengths.Length)
        {
            Array.Resize(ref _nameStackLengths, _nameStackLengths.Length * 2);
        }
        _name.AsSpan(0, _nameLength).CopyTo(_nameStack.AsSpan(_nameStackLength));
        _nameStackLength += _nameLength;
        _nameStackLengths[_depth] = _nameLength;
    }

    private void PopName(int depth) => _nameStackLength -= _nameStackLengths[depth - 1];

    private void EndEntity()
    {
        var entity = _entity.AsSpan(0, _entityLength);
        Span<byte> utf8 = stackalloc byte[4];
        int written;
        if (entity.Length > 1 && entity[0] == '#')
        {
            var hex = entity[1] == 'x';
            var digits = entity[(hex ? 2 : 1)..];
            if (digits.IsEmpty || !int.TryParse(digits, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out var cp)
                || !IsXmlChar(cp, 0) || (cp < 0x20 && cp is not (0x09 or 0x0A or 0x0D)))
            {
                throw Error(XmlStreamError.NotWellFormed, "invalid character reference");
            }
            written = new Rune(cp).EncodeToUtf8(utf8);
        }
        else
        {
            byte c = entity switch
            {
                _ when entity.SequenceEqual("amp"u8) => (byte)'&',
                _ when entity.SequenceEqual("lt"u8) => (byte)'<',
                _ when entity.SequenceEqual("gt"u8) => (byte)'>',
                _ when entity.SequenceEqual("quot"u8) => (byte)'"',
                _ when entity.SequenceEqual("apos"u8) => (byte)'\'',
                _ => throw Error(XmlStreamError.RestrictedXml, "only the predefined entities are allowed"),
            };
            utf8[0] = c;
            written = 1;
        }
        if (_entityReturn == State.AttrValue)
        {
            foreach (var b in utf8[..written])
            {
                AppendValue(b);
            }
        }
        _state = _entityReturn;
    }

    private void EndProcessingInstruction()
    {
        var pi = _pi.AsSpan(0, _piLength); // null (empty) for "<??>"
        if (!pi.StartsWith("xml"u8) || (pi.Length > 3 && !IsSpace(pi[3])))
        {
            throw Error(XmlStreamError.RestrictedXml, "processing instructions are not allowed");
        }
        if (_depth == 1 && _allowRestart)
        {
            ResetCapture();
        }
        else if (_depth != 0 || _rootSeen)
        {
            throw Error(XmlStreamError.RestrictedXml, "the XML declaration may only open the stream");
        }
        var text = Encoding.UTF8.GetString(pi[3..]);
        var version = PseudoAttribute(text, "version");
        if (version != "1.0")
        {
            throw Error(XmlStreamError.RestrictedXml, "only XML 1.0 is supported");
        }
        var encoding = PseudoAttribute(text, "encoding");
        if (encoding is not null && !encoding.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            throw Error(XmlStreamError.UnsupportedEncoding, "only UTF-8 is supported");
        }
        _state = State.Text;
    }

    private static string? PseudoAttribute(string text, string name)
    {
        var at = text.IndexOf(name, StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }
        var rest = text.AsSpan(at + name.Length).TrimStart();
        if (rest.IsEmpty || rest[0] != '=')
        {
            return null;
        }
        rest = rest[1..].TrimStart();
        if (rest.IsEmpty || rest[0] is not ('\'' or '"'))
        {
            return null;
        }
        var end = rest[1..].IndexOf(rest[0]);
        return end < 0 ? null : rest.Slice(1, end).ToString();
    }
}
