using ResearchPipeline.Captures;
using ResearchPipeline.Decoders;
using ResearchPipeline.Decoders.Facebook;
using ResearchPipeline.Payloads;
using ResearchPipeline.Tests.Captures;
using static ResearchPipeline.Tests.Payloads.Requests;

using ResearchPipeline.Tests.Payloads;

namespace ResearchPipeline.Tests.Decoders;

/// <summary>The Facebook adapter against the SDK facts of docs/facebook-sdk-wire-format.md and real captures.</summary>
public class FacebookAdapterTests
{
    private static DecodedExchange Decode(Exchange e) => TrackerDecoders.All.Decode(e, DecodeLimits.Default);

    private static Dictionary<string, AnnotatedField> ByKey(DecodedExchange d) =>
        d.Fields.Where(f => f.Field.Location != PayloadLocation.Header).GroupBy(f => f.Field.KeyPath).ToDictionary(g => g.Key, g => g.First());

    private static readonly string[] ExtinfoSlots =
    [
        "extinfo.version", "app.id", "app.build", "app.version", "os.version", "device.model", "locale", "timezone.abbreviation",
        "carrier", "screen.width", "screen.height", "screen.density", "device.cpu_cores", "disk.total_gb", "disk.free_gb", "timezone.name",
    ];

    private static List<Exchange> Quizduel() =>
        HarReaderTests.ReadAll(TestFiles.Capture("har/quizduel-android.har")).OfType<ExchangeRead>().Select(r => r.Exchange).ToList();

    [Test]
    public void Quizduel_activities_requests_name_every_extinfo_slot_and_the_identifiers()
    {
        var activities = Quizduel().Select(Decode).Where(d => d.Fields.Any(f => f.Endpoint == "activities")).ToList();
        Assert.That(activities, Has.Count.EqualTo(3));
        foreach (var d in activities)
        {
            var f = ByKey(d);
            Assert.That(Enumerable.Range(0, 16).Select(i => f[$"extinfo[{i}]"].Semantic?.Name), Is.EqualTo(ExtinfoSlots));
            Assert.That(f["extinfo[5]"].Field.Value, Is.EqualTo("sdk_gphone_x86_64"));
            Assert.That(f["extinfo[15]"].Field.Value, Is.EqualTo("Europe/Berlin"));
            Assert.That(f["extinfo[8]"].Field.Transforms, Is.EqualTo("form>json"));
            foreach (var (key, semantic) in new[] { ("advertiser_id", "device.advertising_id"), ("anon_id", "install.anon_id") })
            {
                Assert.That(f[key].Semantic!.Name, Is.EqualTo(semantic));
                Assert.That(f[key].Semantic!.Category, Is.EqualTo("identifier"));
                Assert.That(f[key].Semantic!.PersonalData, Is.True);
            }
            Assert.That(d.Sdk, Does.Match(@"^FBAndroidSDK \d+\.\d+\.\d+$"));
            Assert.That(d.GraphApiVersion, Does.Match(@"^v\d+\.\d+$"));
        }
        Assert.That(activities.Select(d => ByKey(d)["event"].Field.Value), Is.EquivalentTo(new[] { "CUSTOM_APP_EVENTS", "CUSTOM_APP_EVENTS", "MOBILE_APP_INSTALL" }));
    }

    [Test]
    public void Quizduel_custom_events_become_one_row_per_event_field()
    {
        var events = Quizduel().Select(Decode)
            .SelectMany(d => d.Fields).Where(f => f.Field.KeyPath.StartsWith("custom_events[", StringComparison.Ordinal)).ToList();
        var names = events.Where(f => f.Semantic?.Name == "event.name").Select(f => f.Field.Value).ToList();
        Assert.That(names, Is.EqualTo(new[] { "fb_sdk_settings_changed", "fb_sdk_initialize", "fb_mobile_activate_app" }));
        Assert.That(events.Count(f => f.Semantic?.Name == "event.time"), Is.EqualTo(3));
        Assert.That(events.Where(f => f.Semantic?.Name == "sdk.kit_included").Select(f => f.Field.KeyPath), Has.Some.EndsWith(".core_lib_included"));
        Assert.That(events.Single(f => f.Field.KeyPath.EndsWith(".fb_mobile_pckg_fp")).Semantic!.Name, Is.EqualTo("app.apk_md5"));
        Assert.That(events.Single(f => f.Field.KeyPath.EndsWith("._session_id")).Semantic!.Category, Is.EqualTo("identifier"));
        Assert.That(events.Where(f => f.Field.KeyPath.EndsWith(".usage")).Select(f => f.Semantic?.Name), Is.All.EqualTo("event.parameter"));
        Assert.That(events.Select(f => f.Semantic), Is.All.Not.Null);
    }

    [Test]
    public void Quizduel_settings_gatekeeper_and_model_GETs_are_recognised()
    {
        var endpoints = Quizduel().Where(e => e.Target.Host == "graph.facebook.com" && e.Method == "GET")
            .Select(e => Decode(e).Fields.First().Endpoint).ToList();
        Assert.That(endpoints, Is.EqualTo(new[] { "app_settings", "app_settings", "gatekeepers", "gatekeepers", "model_asset" }));
        var gk = Decode(Quizduel().First(e => e.Target.Path.EndsWith("/mobile_sdk_gk")));
        Assert.That(ByKey(gk)["sdk_version"].Semantic!.Name, Is.EqualTo("sdk.version"));
    }

    [Test]
    public void Requests_to_other_hosts_are_not_the_Facebook_adapters()
    {
        var others = Quizduel().Where(e => !e.Target.Host.EndsWith("facebook.com")).ToDictionary(e => e.Target.Host + e.Ordinal, Decode);
        Assert.That(others, Is.Not.Empty);
        Assert.That(others.Values.Select(d => d.Decoder), Has.None.EqualTo(FacebookAdapter.AdapterName));
        // Helpshift has no adapter; Firebase and Crashlytics are Google's.
        var helpshift = others.Where(kv => kv.Key.StartsWith("api.helpshift.com", StringComparison.Ordinal)).Select(kv => kv.Value).ToList();
        Assert.That(helpshift.Select(d => d.Decoder), Is.Not.Empty.And.All.EqualTo(TrackerDecoders.Generic));
        Assert.That(helpshift.SelectMany(d => d.Fields).Select(f => f.Semantic), Is.All.Null);
    }

    // doc 7, illustrative iOS flush body after gunzip (1.1: JSON object of strings, gzip, UA FBiOSSDK.<version>).
    private const string IosFlush = """
        {"event":"CUSTOM_APP_EVENTS","anon_id":"XZ11111111-2222-3333-4444-555555555555","advertiser_tracking_enabled":"0","ud":"{}","application_tracking_enabled":"1","advertiser_id_collection_enabled":"1","extinfo":"[\"i2\",\"com.x\",\"42\",\"1.2\",\"17.4\",\"iPhone15,2\",\"en_US\",\"GMT+1\",\"--\",393,852,\"3.00\",6,-1,-1,\"Europe\\/Berlin\"]","url_schemes":"[\"fb123\"]","custom_events":"[{\"_eventName\":\"fb_mobile_add_to_cart\",\"_logTime\":12345},{\"_eventName\":\"new_event\",\"_logTime\":67890,\"fb_content_type\":\"product\",\"_valueToSum\":21.97,\"fb_currency\":\"GBP\"}]","format":"json","sdk":"ios","include_headers":"false","access_token":"123|abc"}
        """;

    [Test]
    public void iOS_gzip_JSON_of_strings_decodes_with_i2_extinfo_and_the_SDK_from_the_user_agent()
    {
        var d = Decode(Make("POST", "https://ep1.facebook.com/v21.0/123/activities", Gzip(IosFlush),
            ("User-Agent", "FBiOSSDK.18.1.0"), ("Content-Type", "application/json"), ("Content-Encoding", "gzip")));
        var f = ByKey(d);
        Assert.That(Enumerable.Range(0, 16).Select(i => f[$"extinfo[{i}]"].Semantic?.Name), Is.EqualTo(ExtinfoSlots));
        Assert.That(f["extinfo[5]"].Field.Value, Is.EqualTo("iPhone15,2"));
        Assert.That(f["extinfo[5]"].Field.Transforms, Is.EqualTo("gzip>json>json"));
        Assert.That(f["extinfo[15]"].Field.Value, Is.EqualTo("Europe/Berlin"));
        Assert.That(f["url_schemes[0]"].Semantic!.Name, Is.EqualTo("app.url_schemes"));
        Assert.That(f["custom_events[1]._valueToSum"].Field.Value, Is.EqualTo("21.97"));
        Assert.That(f["custom_events[1].fb_currency"].Semantic!.Name, Is.EqualTo("purchase.currency"));
        Assert.That(f["custom_events[1].fb_content_type"].Semantic!.Name, Is.EqualTo("event.parameter"));
        Assert.That(d.Sdk, Is.EqualTo("FBiOSSDK 18.1.0"));
        Assert.That(d.GraphApiVersion, Is.EqualTo("v21.0"));
        Assert.That(f["event"].Endpoint, Is.EqualTo("activities"));
    }

    [Test]
    public void iOS_17_disk_placeholders_are_not_sent_but_Android_disk_values_are()
    {
        var ios = ByKey(Decode(Make("POST", "https://graph.facebook.com/v17.0/123/activities", Gzip(IosFlush), ("Content-Type", "application/json"))));
        Assert.That(new[] { ios["extinfo[13]"].ValueType, ios["extinfo[14]"].ValueType }, Is.All.EqualTo(ValueTypes.NotSent));
        Assert.That(ios["extinfo[13]"].Semantic!.Name, Is.EqualTo("disk.total_gb"));
        var android = ByKey(Decode(Make("POST", "https://graph.facebook.com/v16.0/123/activities", Gzip(AndroidForm), ("Content-Encoding", "gzip"))));
        Assert.That(android["extinfo[13]"].ValueType, Is.EqualTo(ValueTypes.Number));
    }

    [Test]
    public void An_empty_iOS_ud_is_a_placeholder_not_hashed_user_data()
    {
        // doc 3: iOS >= 12.2 always sends ud, "{}" when it holds no user data (I18 FBSDKAppEventsUtility.m L89-96).
        var empty = ByKey(Decode(Make("POST", "https://ep1.facebook.com/v21.0/123/activities", Gzip(IosFlush), ("User-Agent", "FBiOSSDK.18.1.0"), ("Content-Type", "application/json"))));
        Assert.That(empty["ud"].Field.Value, Is.EqualTo("{}"));
        Assert.That(empty["ud"].Semantic!.Name, Is.EqualTo("user_data.hashed"));
        Assert.That(empty["ud"].ValueType, Is.EqualTo(ValueTypes.NotSent));
        var withEmail = ByKey(Decode(Make("POST", "https://ep1.facebook.com/v21.0/123/activities",
            Gzip(IosFlush.Replace("\"ud\":\"{}\"", $"\"ud\":\"{{\\\"em\\\":\\\"{Sha}\\\"}}\"", StringComparison.Ordinal)),
            ("User-Agent", "FBiOSSDK.18.1.0"), ("Content-Type", "application/json"))));
        Assert.That(withEmail.ContainsKey("ud"), Is.False, "a ud with members is published as its members");
        Assert.That(withEmail["ud.em"].Semantic!.Name, Is.EqualTo("user_data.email_sha256"));
        Assert.That(withEmail["ud.em"].ValueType, Is.EqualTo(ValueTypes.String));
    }

    // doc 7, Android equivalent (1.2: form, trailing '&', gzip; JSONArray exploded as key[0]=).
    private const string AndroidForm =
        "format=json&sdk=android&access_token=123%7Cabc&custom_events=%5B%7B%22_eventName%22%3A%22fb_mobile_add_to_cart%22%2C%22_logTime%22%3A12345%2C%22_ui%22%3A%22unknown%22%2C%22_inBackground%22%3A%221%22%7D%5D" +
        "&event=CUSTOM_APP_EVENTS&anon_id=XZ11111111-2222&application_tracking_enabled=true&data_processing_options%5B0%5D=LDU&data_processing_options_country=0" +
        "&ud=%7B%22em%22%3A%22" + Sha + "%22%2C%22db%22%3A%22" + Sha + "%22%2C%22r1%22%3A%22" + Sha + "%22%7D" +
        "&extinfo=%5B%22a2%22%2C%22com.x%22%2C42%2C%221.2%22%2C%2214%22%2C%22Pixel%207%22%2C%22de_DE%22%2C%22CET%22%2C%22NoCarrier%22%2C1080%2C2400%2C%222.75%22%2C8%2C128%2C64%2C%22Europe%5C%2FBerlin%22%5D&application_package_name=com.x&";

    private const string Sha = "a665a45920422f9d417e4867efdc4fb8a04a1f3fff1fa07e998e86f7f7a27ae3";

    [Test]
    public void Android_gzip_form_decodes_with_a2_extinfo_indexed_keys_and_hashed_user_data()
    {
        var d = Decode(Make("POST", "https://graph.facebook.com/v16.0/123/activities", Gzip(AndroidForm),
            ("User-Agent", "FBAndroidSDK.18.3.0"), ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Encoding", "gzip")));
        var f = ByKey(d);
        Assert.That(Enumerable.Range(0, 16).Select(i => f[$"extinfo[{i}]"].Semantic?.Name), Is.EqualTo(ExtinfoSlots));
        Assert.That(f["extinfo[5]"].Field.Value, Is.EqualTo("Pixel 7"));
        Assert.That(f["extinfo[5]"].Field.Transforms, Is.EqualTo("gzip>form>json"));
        Assert.That(f["data_processing_options[0]"].Semantic!.Name, Is.EqualTo("consent.data_processing_options"));
        Assert.That(f["data_processing_options_country"].Semantic!.Name, Is.EqualTo("consent.data_processing_options_country"));
        Assert.That(new[] { f["ud.em"].Semantic!.Name, f["ud.db"].Semantic!.Name, f["ud.r1"].Semantic!.Name },
            Is.EqualTo(new[] { "user_data.email_sha256", "user_data.date_of_birth_sha256", "user_data.automatic_matching_sha256" }));
        Assert.That(f["ud.em"].Semantic!.PersonalData, Is.True);
        Assert.That(f["custom_events[0]._ui"].Semantic!.Name, Is.EqualTo("event.screen"));
        Assert.That(d.Sdk, Is.EqualTo("FBAndroidSDK 18.3.0"));
    }

    [Test]
    public void Android_4_a1_extinfo_names_its_four_slots()
    {
        var body = "event=MOBILE_APP_INSTALL&extinfo=" + Uri.EscapeDataString("[\"a1\",\"com.x\",42,\"1.2\"]") + "&";
        var f = ByKey(Decode(Make("POST", "https://graph.facebook.com/123/activities", Utf8(body), ("Content-Type", "application/x-www-form-urlencoded"))));
        Assert.That(Enumerable.Range(0, 4).Select(i => f[$"extinfo[{i}]"].Semantic?.Name), Is.EqualTo(new[] { "extinfo.version", "app.id", "app.build", "app.version" }));
    }

    [Test]
    public void Codeless_session_extinfo_is_the_five_slot_variant()
    {
        var body = "device_session_id=0F3C&extinfo=" + Uri.EscapeDataString("[\"iPhone15,2\",\"ABCDEF01-2345-6789-ABCD-EF0123456789\",\"0\",\"1\",\"en_US\"]") + "&";
        var f = ByKey(Decode(Make("POST", "https://graph.facebook.com/v16.0/123/app_indexing_session", Utf8(body), ("Content-Type", "application/x-www-form-urlencoded"))));
        Assert.That(Enumerable.Range(0, 5).Select(i => f[$"extinfo[{i}]"].Semantic?.Name),
            Is.EqualTo(new[] { "device.model", "device.advertising_id", "app.is_debug_build", "device.is_emulator", "locale" }));
        Assert.That(f["device_session_id"].Semantic!.Category, Is.EqualTo("identifier"));
    }

    [Test]
    public void Codeless_check_GET_carries_the_advertising_id_in_its_query()
    {
        var d = Decode(Make("GET", "https://graph.facebook.com/v16.0/app?advertiser_id=38400000-8cf0-11bd-b23e-10b96e40000d&fields=auto_event_setup_enabled&format=json&sdk=android"));
        var f = ByKey(d);
        Assert.That(f["advertiser_id"].Endpoint, Is.EqualTo("codeless_check"));
        Assert.That(f["advertiser_id"].Field.Location, Is.EqualTo(PayloadLocation.Query));
        Assert.That(f["advertiser_id"].Semantic!.Name, Is.EqualTo("device.advertising_id"));
        Assert.That(d.Sdk, Is.EqualTo("FBAndroidSDK"), "without a User-Agent the platform still shows from sdk=");
    }

    [Test]
    public void iOS_batch_items_are_decoded_from_relative_url_and_attributed_on_their_own()
    {
        // doc 1.3: body keys batch_app_id and batch (a JSON string); POST params of an item are in its relative_url query.
        var activities = "123/activities?event=MOBILE_APP_INSTALL&advertiser_id=ABCDEF01-2345&extinfo=" + Uri.EscapeDataString("[\"i2\",\"com.x\",\"42\",\"1.2\",\"17.4\",\"iPhone15,2\",\"en_US\",\"GMT+1\",\"--\",393,852,\"3.00\",6,-1,-1,\"Europe/Berlin\"]") + "&format=json&sdk=ios&include_headers=false&access_token=123%7Cabc";
        var settings = "123?fields=app_events_feature_bitmask%2Cname&os_version=17.4&format=json&sdk=ios&include_headers=false";
        var batch = System.Text.Json.JsonSerializer.Serialize(new object[] { new { relative_url = activities, method = "POST" }, new { relative_url = settings, method = "GET" } });
        var body = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, string> { ["batch_app_id"] = "123", ["batch"] = batch, ["format"] = "json", ["sdk"] = "ios" });
        var d = Decode(Make("POST", "https://graph.facebook.com/v17.0", Gzip(body), ("User-Agent", "FBiOSSDK.17.0.0"), ("Content-Type", "application/json"), ("Content-Encoding", "gzip")));
        var f = ByKey(d);
        Assert.That(f["batch_app_id"].Endpoint, Is.EqualTo("batch"));
        var model = f["batch[0].relative_url.query.extinfo[5]"];
        Assert.That((model.Endpoint, model.Semantic!.Name, model.Field.Value), Is.EqualTo(("activities", "device.model", "iPhone15,2")));
        Assert.That(model.Field.Transforms, Is.EqualTo("gzip>json>json>url>json"));
        Assert.That(f["batch[0].relative_url.query.extinfo[13]"].ValueType, Is.EqualTo(ValueTypes.NotSent));
        Assert.That(f["batch[0].relative_url.query.advertiser_id"].Semantic!.Name, Is.EqualTo("device.advertising_id"));
        Assert.That(f["batch[1].relative_url.query.fields"].Endpoint, Is.EqualTo("app_settings"));
        Assert.That(f["batch[1].relative_url.query.os_version"].Semantic!.Name, Is.EqualTo("os.version"));
        Assert.That(f["batch[0].relative_url.path"].Semantic!.Name, Is.EqualTo("batch.item_path"));
        Assert.That(d.GraphApiVersion, Is.EqualTo("v17.0"));
    }

    [Test]
    public void Android_batch_items_are_decoded_from_their_form_body_and_take_the_version_from_relative_url()
    {
        // doc 1.3 and 7.4 (GraphRequestTest L802-823): POST https://graph.facebook.com, relative_url with version, graphObject in body.
        var batch = "[{\"relative_url\":\"\\/v16.0\\/123\\/activities?access_token=123%7Cabc&sdk=android&format=json\",\"method\":\"POST\",\"body\":\"event=CUSTOM_APP_EVENTS&extinfo=%5B%22a2%22%2C%22com.x%22%2C42%2C%221.2%22%2C%2214%22%2C%22Pixel%207%22%5D&\"},"
                  + "{\"relative_url\":\"\\/v16.0\\/testPostPath?sdk=android&format=json\",\"method\":\"POST\",\"body\":\"key=value\"}]";
        var body = "batch_app_id=123&batch=" + Uri.EscapeDataString(batch) + "&";
        var d = Decode(Make("POST", "https://graph.facebook.com", Gzip(body), ("User-Agent", "FBAndroidSDK.16.0.0"), ("Content-Type", "application/x-www-form-urlencoded"), ("Content-Encoding", "gzip")));
        var f = ByKey(d);
        var model = f["batch[0].body.extinfo[5]"];
        Assert.That((model.Endpoint, model.Semantic!.Name, model.Field.Value), Is.EqualTo(("activities", "device.model", "Pixel 7")));
        Assert.That(model.Field.Transforms, Is.EqualTo("gzip>form>json>form>json"));
        Assert.That(f["batch[0].body.event"].Semantic!.Name, Is.EqualTo("event.activity_kind"));
        Assert.That(f["batch[0].relative_url.query.access_token"].Semantic!.Name, Is.EqualTo("auth.access_token"));
        Assert.That(f["batch[1].body.key"].Endpoint, Is.EqualTo(FacebookAdapter.OtherEndpoint));
        Assert.That(d.GraphApiVersion, Is.EqualTo("v16.0"));
    }

    [Test]
    public void Audience_Network_body_decodes_to_named_fields()
    {
        var body = File.ReadAllBytes(TestFiles.Capture("bodies/37251-4pics1word-facebook-meta.txt"));
        var d = Decode(Make("POST", "https://graph.facebook.com/network_ads_common", body, ("Content-Type", "application/x-www-form-urlencoded")));
        var bySemantic = d.Fields.Where(f => f.Semantic is not null).GroupBy(f => f.Semantic!.Name).ToDictionary(g => g.Key, g => g.First().Field.Value);
        Assert.That(bySemantic["device.model"], Is.EqualTo("iPhone10,4"));
        Assert.That(bySemantic["device.advertising_id"], Is.EqualTo("00000000-0000-0000-0000-000000000000"));
        Assert.That(bySemantic["timezone.offset_ms"], Is.EqualTo("7200000"));
        Assert.That(bySemantic["sdk.version"], Is.EqualTo("6.2.1"));
        Assert.That(bySemantic["install.anon_id"], Does.StartWith("XZ"));
        Assert.That(bySemantic["disk.free_bytes"], Is.EqualTo("111712808960"), "ANALOG is a JSON string decoded to its keys");
        Assert.That(d.Fields.First().Endpoint, Is.EqualTo("network_ads_common"));
        Assert.That(d.Sdk, Is.EqualTo("AudienceNetworkForiOS 6.2.1"));
    }

    [Test]
    public void Audience_Network_sync_reads_the_same_keys_under_payload_context()
    {
        var payload = "{\"context\":{\"MODEL\":\"Pixel 7\",\"IDFA\":\"38400000-8cf0\",\"VALPARAMS\":\"{\\\"is_emu\\\":false,\\\"timezone_offset\\\":3600}\"}}";
        var f = ByKey(Decode(Make("POST", "https://www.facebook.com/adnw_sync2", Utf8("payload=" + Uri.EscapeDataString(payload)), ("Content-Type", "application/x-www-form-urlencoded"))));
        Assert.That(f["payload.context.MODEL"].Semantic!.Name, Is.EqualTo("device.model"));
        Assert.That(f["payload.context.VALPARAMS.timezone_offset"].Semantic!.Name, Is.EqualTo("timezone.offset"));
        Assert.That(f["payload.context.VALPARAMS.is_emu"].Semantic!.Name, Is.EqualTo("device.is_emulator"));
    }

    [TestCase("FBAndroidSDK.4.2.0/Unity.7.0.1", "FBAndroidSDK 4.2.0/Unity.7.0.1")]
    [TestCase("FBiOSSDK.18.1.0/macOS", "FBiOSSDK 18.1.0/macOS")]
    [TestCase("FBtvOSSDK.15.1.0", "FBtvOSSDK 15.1.0")]
    [TestCase("FBiOSAEM.18.1.0", "FBiOSAEM 18.1.0")]
    public void SDK_identity_comes_from_the_user_agent_with_its_wrapper_suffix(string ua, string sdk)
    {
        Assert.That(Decode(Make("GET", "https://graph.facebook.com/v16.0/app?format=json", null, ("User-Agent", ua))).Sdk, Is.EqualTo(sdk));
        Assert.That(SdkIdentity.Platform(sdk), Is.Not.Null);
    }

    [Test]
    public void Every_dictionary_row_names_an_endpoint_of_the_catalogue()
    {
        var known = FacebookAdapter.Endpoints.Select(e => e.Name).Append(FacebookAdapter.OtherEndpoint).Append("*").ToHashSet();
        var rules = FacebookAdapter.Default.Semantics.Rules;
        Assert.That(rules, Has.Count.GreaterThan(150));
        Assert.That(rules.SelectMany(r => r.Endpoints.Select(e => (r.Line, e))).Where(x => !known.Contains(x.e)), Is.Empty);
        Assert.That(rules.Select(r => r.Meaning.Source), Is.All.Not.Empty);
    }
}
