namespace VectorShard.Core.Tests;

/// <summary>The public encoders: VectorBlob (BLOB layout), MetadataJson (JSON text), MetadataFilter (SQL and parameters).</summary>
public sealed class CodecTests
{
    [Fact]
    public void VectorBlob_IsPackedLittleEndianFloat32()
    {
        var bytes = VectorBlob.ToBytes([1f, -2f, -0f, float.Epsilon]);

        Assert.Equal(Convert.FromHexString("0000803F000000C00000008001000000"), bytes);
    }

    [Fact]
    public void VectorBlob_DecodesBitExact_ByEveryRoute()
    {
        var random = new Random(11);
        var vector = Enumerable.Range(0, 37).Select(_ => BitConverter.Int32BitsToSingle(random.Next())).Where(float.IsFinite).ToArray();
        var bytes = VectorBlob.ToBytes(vector);
        Assert.Equal(vector.Length * 4, bytes.Length);

        var copied = new float[vector.Length + 3];
        VectorBlob.CopyTo(bytes, copied);

        Assert.Equal(vector.Select(BitConverter.SingleToInt32Bits), VectorBlob.ToFloats(bytes).Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(vector.Select(BitConverter.SingleToInt32Bits), VectorBlob.AsFloats(bytes).ToArray().Select(BitConverter.SingleToInt32Bits));
        Assert.Equal(vector.Select(BitConverter.SingleToInt32Bits), copied.Take(vector.Length).Select(BitConverter.SingleToInt32Bits));
        Assert.Empty(VectorBlob.ToBytes([]));
        Assert.Empty(VectorBlob.ToFloats([]));
    }

    [Fact]
    public void MetadataJson_WritesAJsonObject()
    {
        var json = MetadataJson.Serialize(new Dictionary<string, object?>
        {
            ["s"] = "x",
            ["n"] = 3,
            ["d"] = 0.5,
            ["b"] = true,
            ["z"] = null,
            ["when"] = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            ["list"] = new object?[] { 1L, "a" },
            ["obj"] = new Dictionary<string, object?> { ["k"] = "v" },
        }, "#1");

        Assert.Equal("""{"s":"x","n":3,"d":0.5,"b":true,"z":null,"when":"2020-01-02T03:04:05.0000000Z","list":[1,"a"],"obj":{"k":"v"}}""", json);
        Assert.Null(MetadataJson.Serialize(null, "#1"));
        Assert.Equal("{}", MetadataJson.Serialize(new Dictionary<string, object?>(), "#1"));
    }

    [Fact]
    public void MetadataJson_ParsesNumbersAsLongOrDouble()
    {
        var parsed = MetadataJson.Parse("""{"whole":7,"big":9007199254740993,"frac":0.125,"exp":1e3,"neg":-4,"t":true,"f":false,"n":null,"a":[],"o":{}}""")!;

        Assert.Equal(7L, parsed["whole"]);
        Assert.Equal(9007199254740993L, parsed["big"]);
        Assert.Equal(0.125, parsed["frac"]);
        Assert.Equal(-4L, parsed["neg"]);
        Assert.Equal(true, parsed["t"]);
        Assert.Equal(false, parsed["f"]);
        Assert.Null(parsed["n"]);
        Assert.Empty(Assert.IsType<object?[]>(parsed["a"]));
        Assert.Empty(Assert.IsAssignableFrom<IReadOnlyDictionary<string, object?>>(parsed["o"]));
        Assert.Equal(1000.0, Convert.ToDouble(parsed["exp"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Null(MetadataJson.Parse(null));
    }

    [Fact]
    public void MetadataJson_RejectsWhatJsonCannotHold_NamingTheField()
    {
        foreach (var bad in (object[])[new object(), double.NaN, double.NegativeInfinity, float.NaN, TimeSpan.FromSeconds(1), new Uri("http://x"), (Half)1])
        {
            var error = ShardAssert.Throws("UnsupportedMetadata", ShardErrorCategory.InvalidType,
                () => MetadataJson.Serialize(new Dictionary<string, object?> { ["field"] = bad }, "'row'"));
            Assert.Contains("'field'", error.Message);
            Assert.Contains("'row'", error.Message);
            Assert.Equal(bad, error.TargetObject);
        }
    }

    [Fact]
    public void MetadataFilter_BuildsParameterisedEqualities()
    {
        var filter = new MetadataFilter(new Dictionary<string, object?>
        {
            ["color"] = "red",
            ["source.lang"] = "en",
            ["flag"] = true,
            ["off"] = false,
            ["n"] = 3,
            ["x"] = 1.5f,
            ["m"] = 2.25m,
            ["gone"] = null,
        });

        Assert.Equal(
            "json_extract(metadata, '$.color') = ?1 AND json_extract(metadata, '$.source.lang') = ?2 AND json_extract(metadata, '$.flag') = ?3 AND " +
            "json_extract(metadata, '$.off') = ?4 AND json_extract(metadata, '$.n') = ?5 AND json_extract(metadata, '$.x') = ?6 AND " +
            "json_extract(metadata, '$.m') = ?7 AND json_extract(metadata, '$.gone') IS NULL",
            filter.WhereClause);
        Assert.Equal(
            new object?[] { "red", "en", 1L, 0L, 3L, 1.5, 2.25 },
            filter.Parameters);
    }

    [Fact]
    public void MetadataFilter_QuotesOnlyNamesThatAreNotPlain_AndEscapesTheSqlLiteral()
    {
        var filter = new MetadataFilter(new Dictionary<string, object?> { ["it's $"] = 1L, ["9lives.ok"] = "y" });
        Assert.Equal("json_extract(metadata, '$.\"it''s $\"') = ?1 AND json_extract(metadata, '$.\"9lives\".ok') = ?2", filter.WhereClause);
    }

    [Fact]
    public void MetadataFilter_Empty_MatchesEverything()
    {
        var filter = new MetadataFilter(new Dictionary<string, object?>());
        Assert.Equal("1", filter.WhereClause);
        Assert.Empty(filter.Parameters);
    }

    [Fact]
    public void MetadataFilter_FieldNamesWithSqlOrJsonSyntax_AreData()
    {
        // Quoted path segments: $, [, ], ' and spaces are part of the name, not syntax.
        using var shard = Shard.Create(MemoryShard.NewPath(), new ShardOptions(1, DistanceMetric.L2));
        shard.Add([
            new VectorInput("odd", [1], new Dictionary<string, object?> { ["a[0]"] = "x", ["it's $"] = 1L }),
            new VectorInput("plain", [2], new Dictionary<string, object?> { ["a"] = new[] { "x" } }),
        ]);

        var byBracket = shard.Search([0], new SearchOptions(5, Filter: new MetadataFilter(new Dictionary<string, object?> { ["a[0]"] = "x" })));
        var byQuote = shard.Search([0], new SearchOptions(5, Filter: new MetadataFilter(new Dictionary<string, object?> { ["it's $"] = 1L })));

        Assert.Equal(["odd"], byBracket.Select(r => r.Key));
        Assert.Equal(["odd"], byQuote.Select(r => r.Key));
    }
}
