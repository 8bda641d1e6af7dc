using System.Text.Json.Nodes;
using SearchService.Core.Models;
using SearchService.Inference.Models;
using SearchService.Inference.Tests.Support;
using Xunit;

namespace SearchService.Inference.Tests.Models;

/// <summary>Loading the Immich layout: what the descriptor says, and one clear error naming the file for each broken model.</summary>
public sealed class ModelLoadingTests
{
    [Fact]
    public void The_dynamic_batch_model_is_described_from_its_own_files()
    {
        using var model = ModelLoading.Load(TestModels.TinyDynamic);

        var descriptor = model.Descriptor;
        Assert.Equal("tiny-random-clip", descriptor.Name);
        Assert.Equal(32, descriptor.EmbeddingDimensions);
        Assert.Equal(77, descriptor.ContextLength);
        Assert.Equal(100f, descriptor.LogitScale);
        Assert.Equal("cpu", descriptor.ExecutionProvider);
        Assert.False(descriptor.IsDemo);
        Assert.Equal("tiny-random-clip_32", descriptor.CollectionName);
        Assert.Equal(64, descriptor.Preprocessing.Size);
        Assert.Equal(ResizeMode.Shortest, descriptor.Preprocessing.ResizeMode);
        Assert.Equal(Interpolation.Bicubic, descriptor.Preprocessing.Interpolation);
        Assert.Equal([0.48145466f, 0.4578275f, 0.40821073f], descriptor.Preprocessing.Mean);
        Assert.Equal([0.26862954f, 0.26130258f, 0.27577711f], descriptor.Preprocessing.Std);
        Assert.Equal("dynamic", model.TextBatchMode);
        Assert.Equal("dynamic", model.ImageBatchMode);
        Assert.Same(descriptor, model.TextEncoder.Model);
        Assert.Same(descriptor, model.ImageEncoder.Model);
    }

    [Fact]
    public void The_fixed_batch_model_with_int64_ids_and_an_integer_size_is_described_too()
    {
        using var model = ModelLoading.Load(TestModels.TinyFixedBatch);

        var descriptor = model.Descriptor;
        Assert.Equal(24, descriptor.EmbeddingDimensions);
        Assert.Equal(32, descriptor.ContextLength);
        Assert.Equal(32, descriptor.Preprocessing.Size);
        Assert.Equal(ResizeMode.Squash, descriptor.Preprocessing.ResizeMode);
        Assert.Equal(Interpolation.Bilinear, descriptor.Preprocessing.Interpolation);
        Assert.Equal([0.5f, 0.25f, 0.125f], descriptor.Preprocessing.Std);
        Assert.Equal("fixed 1", model.TextBatchMode);
        Assert.Equal("fixed 1", model.ImageBatchMode);
        Assert.Equal(1, model.ImageEncoder.PreferredBatchSize);
    }

    [Fact]
    public void Logit_scale_and_the_demo_marker_come_from_config_json()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic, "my-model");
        EditJson(Path.Combine(copy, "config.json"), config =>
        {
            config["logit_scale"] = 50.5;
            config["demo"] = true;
            config["description"] = "a test";
        });

        using var model = ModelLoading.Load(copy);

        Assert.Equal("my-model", model.Descriptor.Name);
        Assert.Equal(50.5f, model.Descriptor.LogitScale);
        Assert.True(model.Descriptor.IsDemo);
        Assert.Equal("a test", model.Description);
    }

    [Fact]
    public void A_folder_that_does_not_exist_is_named_with_the_files_expected()
    {
        using var folder = new TempFolder();
        var missing = Path.Combine(folder.Path, "nothing-here");

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(missing));

        Assert.Equal(missing, error.FilePath);
        Assert.Contains("textual/model.onnx", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> LayoutFiles => new()
    {
        ModelLayout.Config, ModelLayout.TextualModel, ModelLayout.Tokenizer, ModelLayout.VisualModel, ModelLayout.PreprocessConfig,
    };

    [Theory]
    [MemberData(nameof(LayoutFiles))]
    public void Each_missing_file_is_named(string file)
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        File.Delete(Path.Combine(copy, file));

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, file), error.FilePath);
        Assert.StartsWith($"{Path.Combine(copy, file)}: the file is missing", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string, string> Inconsistencies => new()
    {
        // file to edit, JSON path = value, file named, words in the message
        { "config.json", "embed_dim=16", "textual/model.onnx", "32-d embeddings, but config.json embed_dim is 16" },
        { "config.json", "text_cfg.context_length=64", "textual/model.onnx", "but config.json text_cfg.context_length says 64" },
        { "config.json", "vision_cfg.image_size=224", "visual/preprocess_cfg.json", "size 64 disagrees with config.json vision_cfg.image_size 224" },
        { "config.json", "embed_dim=-1", "config.json", "'embed_dim' must be a positive integer" },
        { "config.json", "embed_dim=", "config.json", "'embed_dim' is missing" },
        { "config.json", "logit_scale=0", "config.json", "logit_scale must be a positive number" },
        { "visual/preprocess_cfg.json", "size=[64, 48]", "visual/preprocess_cfg.json", "only square inputs" },
        { "visual/preprocess_cfg.json", "interpolation=\"lanczos\"", "visual/preprocess_cfg.json", "interpolation 'lanczos' is not supported" },
        { "visual/preprocess_cfg.json", "resize_mode=\"crop\"", "visual/preprocess_cfg.json", "resize_mode 'crop' is not supported" },
        { "visual/preprocess_cfg.json", "std=[1, 0, 1]", "visual/preprocess_cfg.json", "'std' must be three positive numbers" },
        { "visual/preprocess_cfg.json", "mean=", "visual/preprocess_cfg.json", "'mean' is missing" },
    };

    [Theory]
    [MemberData(nameof(Inconsistencies))]
    public void Files_that_disagree_or_are_malformed_name_the_file_and_the_problem(string file, string edit, string named, string words)
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        var (path, value) = (edit[..edit.IndexOf('=')], edit[(edit.IndexOf('=') + 1)..]);
        EditJson(Path.Combine(copy, file), root =>
        {
            var parts = path.Split('.');
            var parent = parts[..^1].Aggregate(root, (node, part) => node[part]!.AsObject());
            if (value.Length == 0)
            {
                parent.Remove(parts[^1]);
            }
            else
            {
                parent[parts[^1]] = JsonNode.Parse(value);
            }
        });

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, named), error.FilePath);
        Assert.Contains(words, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_preprocess_size_the_visual_graph_does_not_take_names_the_visual_model()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        EditJson(Path.Combine(copy, "config.json"), config => config["vision_cfg"]!.AsObject().Remove("image_size"));
        EditJson(Path.Combine(copy, "visual", "preprocess_cfg.json"), config => config["size"] = 96);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, "visual", "model.onnx"), error.FilePath);
        Assert.Contains("visual/preprocess_cfg.json size says 96", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_JSON_is_named()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        File.WriteAllText(Path.Combine(copy, "config.json"), "{ \"embed_dim\": 32,,, ");

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, "config.json"), error.FilePath);
        Assert.Contains("not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_onnx_file_is_named_with_ORTs_reason()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        var visual = Path.Combine(copy, "visual", "model.onnx");
        File.WriteAllBytes(visual, File.ReadAllBytes(visual)[..1000]);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(visual, error.FilePath);
        Assert.Contains("ONNX Runtime cannot load it", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Swapped_encoders_are_caught_by_their_input_types()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        File.Copy(Path.Combine(TestModels.TinyDynamic, "visual", "model.onnx"), Path.Combine(copy, "textual", "model.onnx"), overwrite: true);

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, "textual", "model.onnx"), error.FilePath);
        Assert.Contains("must be a tensor of Int32 or Int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_broken_tokenizer_is_named()
    {
        using var folder = new TempFolder();
        var copy = folder.CopyModel(TestModels.TinyDynamic);
        File.WriteAllText(Path.Combine(copy, "textual", "tokenizer.json"), "{}");

        var error = Assert.Throws<ModelLoadException>(() => ModelLoading.Load(copy));

        Assert.Equal(Path.Combine(copy, "textual", "tokenizer.json"), error.FilePath);
        Assert.IsType<SearchService.Inference.Tokenization.TokenizerFileException>(error.InnerException);
    }

    private static void EditJson(string path, Action<JsonObject> edit)
    {
        var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(root);
        File.WriteAllText(path, root.ToJsonString());
    }
}
