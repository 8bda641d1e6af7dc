using System.Text.Json;

namespace SearchService.Inference.Tokenization;

public sealed partial class ClipTokenizer
{
    private const string WhiteSpaceRunPattern = @"\s+";

    /// <summary>
    /// Reads <paramref name="tokenizerJsonPath"/> (an Immich model's <c>textual/tokenizer.json</c>) and, when
    /// present, <c>tokenizer_config.json</c> beside it for the pad token.
    /// </summary>
    /// <param name="tokenizerJsonPath">The Hugging Face tokenizer file.</param>
    /// <param name="contextLength">The text encoder's sequence length (config.json <c>text_cfg.context_length</c>).</param>
    /// <param name="cacheCapacity">How many distinct words the BPE cache keeps at most.</param>
    /// <exception cref="TokenizerFileException">A file is missing, unreadable, malformed or unsupported.</exception>
    public static ClipTokenizer Load(string tokenizerJsonPath, int contextLength, int cacheCapacity = DefaultCacheCapacity)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tokenizerJsonPath);
        ArgumentOutOfRangeException.ThrowIfLessThan(contextLength, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(cacheCapacity);

        var path = Path.GetFullPath(tokenizerJsonPath);
        using var document = ReadJson(path);
        var root = document.RootElement;
        Exception Invalid(string problem) => new TokenizerFileException(path, problem);
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw Invalid("the top level is not a JSON object");
        }

        var modelElement = Required(root, "model", JsonValueKind.Object, "", Invalid);
        var (model, vocabulary) = ReadModel(modelElement, cacheCapacity, Invalid);
        var addedTokens = ReadAddedTokens(root, vocabulary, Invalid);
        var normalizer = new TextNormalizer(ReadNormalizer(Optional(root, "normalizer"), "normalizer", Invalid));
        var preTokenizer = ReadPreTokenizer(Optional(root, "pre_tokenizer"), Invalid);
        var (startId, endId) = ReadPostProcessor(Optional(root, "post_processor"), "post_processor", Invalid);

        int? TokenToId(string token) =>
            addedTokens.FirstOrDefault(t => t.Content == token) is { Content: not null } added ? added.Id
            : vocabulary.TryGetValue(token, out var id) ? id
            : null;

        var padId = ReadPadId(path, root, TokenToId, Invalid) ?? endId;

        var raw = new AddedTokenMatcher(addedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t.Id)));
        var normalizedTokens = new AddedTokenMatcher(addedTokens.Where(t => t.Normalized).Select(t => (normalizer.Apply(t.Content), t.Id)));
        return new ClipTokenizer(path, contextLength, normalizer, raw, normalizedTokens, preTokenizer, model, (startId, endId, padId));
    }

    private static JsonDocument ReadJson(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            return JsonDocument.Parse(stream, new JsonDocumentOptions { MaxDepth = 256 });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFileException(path, $"cannot be read ({e.Message})", e);
        }
        catch (JsonException e)
        {
            throw new TokenizerFileException(path, $"is not valid JSON ({e.Message})", e);
        }
    }

    private static (BytePairModel Model, Dictionary<string, int> Vocabulary) ReadModel(
        JsonElement model, int cacheCapacity, Func<string, Exception> invalid)
    {
        var type = OptionalString(model, "type", "model", invalid);
        if (type is not null and not "BPE")
        {
            throw invalid($"model.type is {type}; only BPE (CLIP's byte-level BPE) is supported");
        }

        if (Optional(model, "dropout") is { } dropout && dropout.GetDouble() != 0)
        {
            throw invalid("model.dropout is set; BPE dropout makes tokenization random, which a search service cannot use");
        }

        var vocabElement = Required(model, "vocab", JsonValueKind.Object, "model.", invalid);
        var vocabulary = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in vocabElement.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out var id) || id < 0)
            {
                throw invalid($"model.vocab entry {entry.Name} does not have a non-negative integer id");
            }

            vocabulary[entry.Name] = id;
        }

        var merges = ReadMerges(Required(model, "merges", JsonValueKind.Array, "model.", invalid), invalid);
        var options = new BytePairOptions(
            OptionalString(model, "unk_token", "model", invalid),
            OptionalString(model, "continuing_subword_prefix", "model", invalid),
            OptionalString(model, "end_of_word_suffix", "model", invalid),
            OptionalBool(model, "fuse_unk", "model", invalid),
            OptionalBool(model, "byte_fallback", "model", invalid),
            OptionalBool(model, "ignore_merges", "model", invalid),
            cacheCapacity);
        return (new BytePairModel(vocabulary, merges, options, invalid), vocabulary);
    }

    // Merges come as "left right" strings (older files, split on the one space) or as ["left", "right"] pairs.
    private static List<(string, string)> ReadMerges(JsonElement merges, Func<string, Exception> invalid)
    {
        var list = new List<(string, string)>(merges.GetArrayLength());
        foreach (var merge in merges.EnumerateArray())
        {
            var number = list.Count + 1;
            if (merge.ValueKind == JsonValueKind.String)
            {
                var line = merge.GetString()!;
                if (line.StartsWith("#version", StringComparison.Ordinal))
                {
                    continue;
                }

                var parts = line.Split(' ');
                list.Add(parts.Length == 2 ? (parts[0], parts[1]) : throw invalid($"model.merges entry {number} ({line}) is not two tokens separated by one space"));
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2
                && merge[0].ValueKind == JsonValueKind.String && merge[1].ValueKind == JsonValueKind.String)
            {
                list.Add((merge[0].GetString()!, merge[1].GetString()!));
            }
            else
            {
                throw invalid($"model.merges entry {number} is neither a \"left right\" string nor a [left, right] pair");
            }
        }

        return list;
    }

    private sealed record AddedToken(string Content, int Id, bool Normalized);

    private static List<AddedToken> ReadAddedTokens(JsonElement root, Dictionary<string, int> vocabulary, Func<string, Exception> invalid)
    {
        var tokens = new List<AddedToken>();
        if (Optional(root, "added_tokens") is not { } array)
        {
            return tokens;
        }

        if (array.ValueKind != JsonValueKind.Array)
        {
            throw invalid("added_tokens is not an array");
        }

        foreach (var token in array.EnumerateArray())
        {
            var content = OptionalString(token, "content", "added_tokens[]", invalid) ?? throw invalid("an added token has no content");
            foreach (var option in new[] { "lstrip", "rstrip", "single_word" })
            {
                if (OptionalBool(token, option, "added_tokens[]", invalid))
                {
                    throw invalid($"added token {content} sets {option}, which this tokenizer does not implement");
                }
            }

            if (Optional(token, "id") is not { ValueKind: JsonValueKind.Number } idElement || !idElement.TryGetInt32(out var id))
            {
                throw invalid($"added token {content} has no integer id");
            }

            // Like the library, a token already in the model's vocabulary keeps the model's id.
            tokens.Add(new AddedToken(content, vocabulary.GetValueOrDefault(content, id), OptionalBool(token, "normalized", "added_tokens[]", invalid)));
        }

        return tokens;
    }

    private static List<Func<string, string>> ReadNormalizer(JsonElement? element, string where, Func<string, Exception> invalid)
    {
        var steps = new List<Func<string, string>>();
        if (element is not { } normalizer)
        {
            return steps;
        }

        var type = OptionalString(normalizer, "type", where, invalid);
        switch (type)
        {
            case "Sequence":
                var list = Required(normalizer, "normalizers", JsonValueKind.Array, where + ".", invalid);
                var index = 0;
                foreach (var item in list.EnumerateArray())
                {
                    steps.AddRange(ReadNormalizer(item, $"{where}.normalizers[{index++}]", invalid));
                }

                break;
            case "NFC":
                steps.Add(TextNormalizer.ToNfc);
                break;
            case "Lowercase":
                steps.Add(TextNormalizer.ToLower);
                break;
            case "Strip":
                var left = OptionalBool(normalizer, "strip_left", where, invalid);
                var right = OptionalBool(normalizer, "strip_right", where, invalid);
                steps.Add(text => TextNormalizer.Strip(text, left, right));
                break;
            case "Replace":
                var content = OptionalString(normalizer, "content", where, invalid) ?? throw invalid($"{where} (Replace) has no content");
                var pattern = Required(normalizer, "pattern", JsonValueKind.Object, where + ".", invalid);
                if (OptionalString(pattern, "String", where + ".pattern", invalid) is { Length: > 0 } literal)
                {
                    steps.Add(text => TextNormalizer.ReplaceLiteral(text, literal, content));
                }
                else if (OptionalString(pattern, "Regex", where + ".pattern", invalid) == WhiteSpaceRunPattern)
                {
                    steps.Add(text => TextNormalizer.ReplaceWhiteSpaceRuns(text, content));
                }
                else
                {
                    throw invalid($"{where} (Replace) has pattern {pattern.GetRawText()}; only a non-empty String or the Regex \\s+ is supported");
                }

                break;
            default:
                throw invalid($"{where} has type {type ?? "(none)"}; supported: Sequence, NFC, Lowercase, Strip, Replace");
        }

        return steps;
    }

    private static PreTokenizer ReadPreTokenizer(JsonElement? element, Func<string, Exception> invalid)
    {
        var steps = new List<JsonElement>();
        if (element is { } preTokenizer)
        {
            if (OptionalString(preTokenizer, "type", "pre_tokenizer", invalid) == "Sequence")
            {
                steps.AddRange(Required(preTokenizer, "pretokenizers", JsonValueKind.Array, "pre_tokenizer.", invalid).EnumerateArray());
            }
            else
            {
                steps.Add(preTokenizer);
            }
        }

        const string Expected = "CLIP's pre_tokenizer is a Split with CLIP's pattern (behavior Removed, invert true) followed by ByteLevel";
        if (steps.Count is < 1 or > 2 || OptionalString(steps[^1], "type", "pre_tokenizer", invalid) != "ByteLevel")
        {
            throw invalid($"the pre_tokenizer is not supported: {Expected}");
        }

        string? splitPattern = null;
        if (steps.Count == 2)
        {
            var split = steps[0];
            var pattern = Optional(split, "pattern") is { ValueKind: JsonValueKind.Object } p ? OptionalString(p, "Regex", "pre_tokenizer.pattern", invalid) : null;
            if (OptionalString(split, "type", "pre_tokenizer", invalid) != "Split" || pattern is null
                || OptionalString(split, "behavior", "pre_tokenizer", invalid) != "Removed" || !OptionalBool(split, "invert", "pre_tokenizer", invalid))
            {
                throw invalid($"the pre_tokenizer is not supported: {Expected}");
            }

            splitPattern = pattern;
        }

        var byteLevel = steps[^1];
        return PreTokenizer.Create(
            splitPattern,
            OptionalBool(byteLevel, "add_prefix_space", "pre_tokenizer", invalid),
            OptionalBool(byteLevel, "use_regex", "pre_tokenizer", invalid, defaultValue: true),
            invalid);
    }

    private static (int Start, int End) ReadPostProcessor(JsonElement? element, string where, Func<string, Exception> invalid)
    {
        const string Expected = "it must add one start token before the text and one end token after it";
        if (element is not { } processor)
        {
            throw invalid($"there is no {where}; {Expected}");
        }

        var type = OptionalString(processor, "type", where, invalid);
        switch (type)
        {
            case "RobertaProcessing" or "BertProcessing":
                return (SpecialTokenPair(processor, "cls", where, invalid), SpecialTokenPair(processor, "sep", where, invalid));
            case "TemplateProcessing":
                return ReadTemplate(processor, where, Expected, invalid);
            case "Sequence":
                var adding = Required(processor, "processors", JsonValueKind.Array, where + ".", invalid).EnumerateArray()
                    .Where(p => OptionalString(p, "type", where, invalid) != "ByteLevel")
                    .ToList();
                return adding.Count == 1 ? ReadPostProcessor(adding[0], where + ".processors[]", invalid)
                    : throw invalid($"{where} is a Sequence with {adding.Count} processors that add tokens; {Expected}");
            default:
                throw invalid($"{where} has type {type ?? "(none)"}; supported: RobertaProcessing, BertProcessing, TemplateProcessing");
        }
    }

    private static int SpecialTokenPair(JsonElement processor, string name, string where, Func<string, Exception> invalid)
    {
        var pair = Required(processor, name, JsonValueKind.Array, where + ".", invalid);
        return pair.GetArrayLength() == 2 && pair[1].ValueKind == JsonValueKind.Number && pair[1].TryGetInt32(out var id)
            ? id
            : throw invalid($"{where}.{name} is not a [token, id] pair");
    }

    private static (int Start, int End) ReadTemplate(JsonElement processor, string where, string expected, Func<string, Exception> invalid)
    {
        var single = Required(processor, "single", JsonValueKind.Array, where + ".", invalid).EnumerateArray().ToList();
        var specials = Required(processor, "special_tokens", JsonValueKind.Object, where + ".", invalid);
        if (single.Count != 3 || !single[0].TryGetProperty("SpecialToken", out var first)
            || !single[1].TryGetProperty("Sequence", out _) || !single[2].TryGetProperty("SpecialToken", out var last))
        {
            throw invalid($"{where}.single is not [SpecialToken, Sequence, SpecialToken]; {expected}");
        }

        int IdOf(JsonElement special)
        {
            var name = OptionalString(special, "id", where, invalid) ?? throw invalid($"{where}.single has a special token without id");
            if (!specials.TryGetProperty(name, out var entry) || !entry.TryGetProperty("ids", out var ids)
                || ids.ValueKind != JsonValueKind.Array || ids.GetArrayLength() != 1 || !ids[0].TryGetInt32(out var id))
            {
                throw invalid($"{where}.special_tokens has no single id for {name}; {expected}");
            }

            return id;
        }

        return (IdOf(first), IdOf(last));
    }

    // Immich pads with the id of tokenizer_config.json's pad_token; without that file, the tokenizer.json's own
    // padding; without either, null (the caller then pads with the end token, CLIPTokenizer's default pad token).
    private static int? ReadPadId(string tokenizerPath, JsonElement root, Func<string, int?> tokenToId, Func<string, Exception> invalid)
    {
        var configPath = Path.Combine(Path.GetDirectoryName(tokenizerPath)!, "tokenizer_config.json");
        if (File.Exists(configPath))
        {
            using var config = ReadJson(configPath);
            Exception ConfigInvalid(string problem) => new TokenizerFileException(configPath, problem);
            if (config.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw ConfigInvalid("the top level is not a JSON object");
            }

            var padToken = Optional(config.RootElement, "pad_token") switch
            {
                null => null,
                { ValueKind: JsonValueKind.String } s => s.GetString(),
                { ValueKind: JsonValueKind.Object } o => OptionalString(o, "content", "pad_token", ConfigInvalid),
                _ => throw ConfigInvalid("pad_token is neither a string nor an object with content"),
            };
            if (padToken is not null)
            {
                return tokenToId(padToken) ?? throw ConfigInvalid($"pad_token {padToken} is not a token of {tokenizerPath}");
            }
        }

        if (Optional(root, "padding") is { } padding)
        {
            return Optional(padding, "pad_id") is { ValueKind: JsonValueKind.Number } id && id.TryGetInt32(out var padId)
                ? padId
                : throw invalid("padding has no integer pad_id");
        }

        return null;
    }

    private static JsonElement? Optional(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null
            ? value
            : null;

    private static JsonElement Required(JsonElement element, string name, JsonValueKind kind, string where, Func<string, Exception> invalid) =>
        Optional(element, name) is { } value && value.ValueKind == kind
            ? value
            : throw invalid($"{where}{name} is missing or is not a JSON {kind.ToString().ToLowerInvariant()}");

    private static string? OptionalString(JsonElement element, string name, string where, Func<string, Exception> invalid) =>
        Optional(element, name) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } value => value.GetString(),
            _ => throw invalid($"{where}.{name} is not a string"),
        };

    private static bool OptionalBool(JsonElement element, string name, string where, Func<string, Exception> invalid, bool defaultValue = false) =>
        Optional(element, name) switch
        {
            null => defaultValue,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw invalid($"{where}.{name} is not true or false"),
        };
}
