/* test_config.c - the training-run configuration (algorithms/train_config.h): defaults
 * pass the checks, JSON files load, --set parses every type, to_json -> from_json is an
 * exact round trip, and every kind of bad input fails with a message naming the key. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "algorithms/train_config.h"
#include "test_util.h"

static char tmp_dir[256];
static char tmp_files[64][512];
static int tmp_count = 0;

/* Writes text to a file in the test's temp folder (removed at the end); path gets its name. */
static void write_file(char *path, size_t size, const char *name, const char *text) {
    snprintf(path, size, "%s/%s", tmp_dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "FAIL: cannot write %s\n", path);
        exit(1);
    }
    fputs(text, f);
    fclose(f);
    if (tmp_count < 64) snprintf(tmp_files[tmp_count++], sizeof tmp_files[0], "%s", path);
}

static int contains(const char *hay, const char *needle) { return strstr(hay, needle) != NULL; }

/* Every scalar field equal, byte for byte (floats compared as bits). */
static int configs_equal(const rise_train_config *a, const rise_train_config *b, int verbose) {
    int same = 1;
#define X(TYPE, group, name, def, help)                                                            \
    if (memcmp(&a->group##_##name, &b->group##_##name, sizeof a->group##_##name)) {                \
        same = 0;                                                                                  \
        if (verbose) fprintf(stderr, "  field %s differs\n", #group "." #name);                    \
    }
#include "algorithms/train_config_fields.def"
#undef X
    if (a->has_data != b->has_data) {
        same = 0;
        if (verbose) fprintf(stderr, "  has_data differs\n");
    }
    if (a->has_data && b->has_data && memcmp(&a->data, &b->data, sizeof a->data)) {
        same = 0;
        if (verbose) fprintf(stderr, "  data spec differs\n");
    }
    return same;
}

/* Loads JSON text written to a file; expects failure whose message holds every needle. */
static void expect_load_error(const char *name, const char *json, const char *needles[]) {
    char path[512];
    write_file(path, sizeof path, name, json);
    rise_train_config c;
    rise_train_config_default(&c);
    c.train_steps = 4242; /* must survive a failed load */
    const rise_status st = rise_train_config_load(&c, path);
    TEST_CHECK(st != RISE_OK, "%s: load should fail", name);
    TEST_CHECK(c.train_steps == 4242, "%s: failed load changed the config", name);
    const char *msg = rise_last_error();
    TEST_CHECK(contains(msg, path), "%s: message should name the file: %s", name, msg);
    for (int i = 0; needles[i]; ++i)
        TEST_CHECK(contains(msg, needles[i]), "%s: message should contain '%s': %s", name,
                   needles[i], msg);
}

/* --set that must fail, naming every needle; the config must be unchanged. */
static void expect_set_error(const char *assignment, const char *needles[]) {
    rise_train_config c, before;
    rise_train_config_default(&c);
    before = c;
    const rise_status st = rise_train_config_set(&c, assignment);
    TEST_CHECK(st == RISE_ERR_INVALID, "--set %s should fail with INVALID (got %d)", assignment,
               (int)st);
    TEST_CHECK(configs_equal(&c, &before, 1) && c.has_data == before.has_data,
               "--set %s: failed set changed the config", assignment);
    const char *msg = rise_last_error();
    for (int i = 0; needles[i]; ++i)
        TEST_CHECK(contains(msg, needles[i]), "--set %s: message should contain '%s': %s",
                   assignment, needles[i], msg);
}

/* A value that passes --set but not the check; the message must hold the needles. */
static void expect_check_error(const char *assignment, const char *needles[]) {
    rise_train_config c;
    rise_train_config_default(&c);
    rise_status st = rise_train_config_set(&c, assignment);
    TEST_CHECK(st == RISE_OK, "--set %s should parse: %s", assignment, rise_last_error());
    st = rise_train_config_check(&c);
    TEST_CHECK(st == RISE_ERR_INVALID, "check after --set %s should fail", assignment);
    const char *msg = rise_last_error();
    for (int i = 0; needles[i]; ++i)
        TEST_CHECK(contains(msg, needles[i]),
                   "check after --set %s: message should contain "
                   "'%s': %s",
                   assignment, needles[i], msg);
}

#define NEEDLES(...) ((const char *[]){__VA_ARGS__, NULL})

static void test_defaults(void) {
    rise_train_config c;
    rise_train_config_default(&c);
    TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "defaults fail check: %s",
               rise_last_error());
    TEST_CHECK(!strcmp(c.train_algo, "rise"), "train.algo default '%s'", c.train_algo);
    TEST_CHECK(c.train_steps == 20000, "train.steps default %d", c.train_steps);
    TEST_CHECK(c.policy_lr == 3e-4f, "policy.lr default %.9g", (double)c.policy_lr);
    TEST_CHECK(c.critic_layernorm == 1 && c.relabel_enable == 0, "bool defaults");
    TEST_CHECK(c.train_expert_ratio == -1.0f, "train.expert_ratio default");
    TEST_CHECK(c.relabel_match_key[0] == '\0', "relabel.match_key default not empty");
    TEST_CHECK(c.has_data == 0 && c.source_path[0] == '\0', "defaults have no data / source");

    const char *help = rise_train_config_key_help("train.steps");
    TEST_CHECK(help && !strcmp(help, "gradient steps"), "key_help(train.steps) = %s",
               help ? help : "NULL");
    TEST_CHECK(rise_train_config_key_help("train.stepz") == NULL, "key_help of unknown key");
    const char *type = rise_train_config_key_type("critic.layernorm");
    TEST_CHECK(type && !strcmp(type, "bool"), "key_type(critic.layernorm) = %s",
               type ? type : "NULL");

    char buf[64];
    TEST_CHECK(rise_train_config_get(&c, "policy.lr", buf, sizeof buf) == RISE_OK &&
                   !strcmp(buf, "0.0003"),
               "get policy.lr = '%s'", buf);
    TEST_CHECK(rise_train_config_get(&c, "critic.layernorm", buf, sizeof buf) == RISE_OK &&
                   !strcmp(buf, "true"),
               "get critic.layernorm = '%s'", buf);
    TEST_CHECK(rise_train_config_get(&c, "train.algo", buf, 3) == RISE_ERR_INVALID,
               "get into a too-small buffer should fail");

    /* Every choice listed in a help text is accepted by the check. */
    const char *algos[] = {"bc_mlp", "bc_diffusion", "iql", "idql", "rise", "cql"};
    for (int i = 0; i < 6; ++i) {
        snprintf(c.train_algo, sizeof c.train_algo, "%s", algos[i]);
        TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "algo %s rejected: %s", algos[i],
                   rise_last_error());
    }
    snprintf(c.extract_rule, sizeof c.extract_rule, "expectile");
    snprintf(c.spectral_mode, sizeof c.spectral_mode, "paper");
    snprintf(c.policy_act, sizeof c.policy_act, "silu");
    TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "listed choices rejected: %s",
               rise_last_error());
}

static void test_load(void) {
    char path[512];
    write_file(path, sizeof path, "run.json",
               "{\n"
               "  \"comment\": \"a small IQL run\",\n"
               "  \"train\": {\"algo\": \"iql\", \"steps\": 100, \"expert_only\": true,\n"
               "            \"expert_ratio\": 0.25, \"comment\": \"groups may explain too\"},\n"
               "  \"policy\": {\"lr\": 1e-3, \"act\": \"relu\", \"depth\": 4},\n"
               "  \"critic\": {\"layernorm\": false, \"discount\": 0.95},\n"
               "  \"relabel\": {\"match_key\": \"gripper\", \"enable\": 1},\n"
               "  \"data\": {\"sources\": [{\"path\": \"expert.h5\", \"role\": \"expert\"},\n"
               "                         {\"path\": \"/abs/play.h5\", \"role\": \"non_expert\"}],\n"
               "           \"reward\": \"dataset\"}\n"
               "}\n");
    rise_train_config c;
    const rise_status st = rise_train_config_load(&c, path);
    TEST_CHECK(st == RISE_OK, "load failed: %s", rise_last_error());
    if (st != RISE_OK) return;
    TEST_CHECK(!strcmp(c.train_algo, "iql"), "train.algo = %s", c.train_algo);
    TEST_CHECK(c.train_steps == 100, "train.steps = %d", c.train_steps);
    TEST_CHECK(c.train_expert_only == 1, "train.expert_only = %d", c.train_expert_only);
    TEST_CHECK(c.train_expert_ratio == 0.25f, "train.expert_ratio");
    TEST_CHECK(c.policy_lr == 1e-3f, "policy.lr = %.9g", (double)c.policy_lr);
    TEST_CHECK(!strcmp(c.policy_act, "relu") && c.policy_depth == 4, "policy fields");
    TEST_CHECK(c.critic_layernorm == 0 && c.critic_discount == 0.95f, "critic fields");
    TEST_CHECK(!strcmp(c.relabel_match_key, "gripper") && c.relabel_enable == 1, "relabel");
    /* Untouched fields keep their defaults. */
    TEST_CHECK(c.critic_width == 256 && c.train_batch == 256 && c.policy_ema == 0.9999f &&
                   c.policy_ema_power == 0.75f,
               "defaults kept");
    TEST_CHECK(!strcmp(c.source_path, path), "source_path = %s", c.source_path);
    TEST_CHECK(c.has_data && c.data.n_sources == 2, "data: has_data %d, %d sources", c.has_data,
               c.data.n_sources);
    const char *p0 = c.data.sources[0].path;
    const size_t n0 = strlen(p0);
    TEST_CHECK(p0[0] == '/' && n0 > 10 && !strcmp(p0 + n0 - 10, "/expert.h5") &&
                   strstr(p0, "rise_cfg"),
               "relative data path not resolved against the config folder: %s", p0);
    TEST_CHECK(!strcmp(c.data.sources[1].path, "/abs/play.h5"), "absolute path changed: %s",
               c.data.sources[1].path);
    TEST_CHECK(c.data.reward == RISE_REWARD_DATASET, "data.reward not parsed");
    TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "loaded config fails check: %s",
               rise_last_error());

    /* A relative config path: data paths still become absolute, the same as above. */
    char cwd[1024];
    if (!getcwd(cwd, sizeof cwd) || chdir(tmp_dir) != 0) {
        TEST_CHECK(0, "cannot enter %s", tmp_dir);
        return;
    }
    rise_train_config r;
    const rise_status st2 = rise_train_config_load(&r, "./run.json");
    TEST_CHECK(chdir(cwd) == 0, "cannot return to %s", cwd);
    TEST_CHECK(st2 == RISE_OK, "relative load failed: %s", rise_last_error());
    if (st2 != RISE_OK) return;
    TEST_CHECK(r.data.sources[0].path[0] == '/' && strstr(r.data.sources[0].path, "rise_cfg_") &&
                   !strstr(r.data.sources[0].path, "./"),
               "relative config: data path %s", r.data.sources[0].path);
    TEST_CHECK(!strcmp(r.source_path, "./run.json"), "source_path = %s", r.source_path);
}

static void test_set(void) {
    rise_train_config c;
    rise_train_config_default(&c);
    TEST_CHECK(rise_train_config_set(&c, "train.steps=7") == RISE_OK && c.train_steps == 7,
               "INT set: %s", rise_last_error());
    TEST_CHECK(rise_train_config_set(&c, "train.seed=-3") == RISE_OK && c.train_seed == -3,
               "negative INT set");
    TEST_CHECK(rise_train_config_set(&c, "train.seed=+12") == RISE_OK && c.train_seed == 12,
               "INT set with sign");
    TEST_CHECK(rise_train_config_set(&c, "critic.discount=0.95") == RISE_OK &&
                   c.critic_discount == 0.95f,
               "FLOAT set: %.9g", (double)c.critic_discount);
    TEST_CHECK(rise_train_config_set(&c, "policy.lr=1e-5") == RISE_OK && c.policy_lr == 1e-5f,
               "FLOAT set with exponent");
    TEST_CHECK(rise_train_config_set(&c, "relabel.enable=true") == RISE_OK && c.relabel_enable == 1,
               "BOOL true");
    TEST_CHECK(rise_train_config_set(&c, "relabel.enable=0") == RISE_OK && c.relabel_enable == 0,
               "BOOL 0");
    TEST_CHECK(rise_train_config_set(&c, "critic.layernorm=false") == RISE_OK &&
                   c.critic_layernorm == 0,
               "BOOL false");
    TEST_CHECK(rise_train_config_set(&c, "cql.enable=1") == RISE_OK && c.cql_enable == 1, "BOOL 1");
    TEST_CHECK(rise_train_config_set(&c, "train.backend=cuda") == RISE_OK &&
                   !strcmp(c.train_backend, "cuda"),
               "STRING set");
    TEST_CHECK(rise_train_config_set(&c, "relabel.match_key=") == RISE_OK &&
                   c.relabel_match_key[0] == '\0',
               "empty STRING set");
    TEST_CHECK(rise_train_config_set(&c, "relabel.match_key=a=b") == RISE_OK &&
                   !strcmp(c.relabel_match_key, "a=b"),
               "value holding '=': %s", c.relabel_match_key);
    /* data.* goes to the dataset spec. */
    TEST_CHECK(c.has_data == 0, "no data yet");
    TEST_CHECK(rise_train_config_set(&c, "data.reward=dataset") == RISE_OK && c.has_data == 1 &&
                   c.data.reward == RISE_REWARD_DATASET,
               "data.reward: %s", rise_last_error());
    TEST_CHECK(rise_train_config_set(&c, "data.source=expert:/d/e.h5") == RISE_OK &&
                   c.data.n_sources == 1 && !strcmp(c.data.sources[0].path, "/d/e.h5") &&
                   c.data.sources[0].role == RISE_ROLE_EXPERT,
               "data.source: %s", rise_last_error());
    /* data.sources replaces the list (the demo points a config at its own data). */
    TEST_CHECK(rise_train_config_set(&c, "data.sources=non_expert:/x/p.h5,expert:/x/e.h5:f1") ==
                       RISE_OK &&
                   c.data.n_sources == 2 && !strcmp(c.data.sources[0].path, "/x/p.h5") &&
                   c.data.sources[0].role == RISE_ROLE_NON_EXPERT &&
                   !strcmp(c.data.sources[1].path, "/x/e.h5") &&
                   !strcmp(c.data.sources[1].filter_key, "f1"),
               "data.sources: %s", rise_last_error());
    /* a relative path on the command line is the working folder's, stored absolute */
    char cwd[1024], want[1100];
    TEST_CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    snprintf(want, sizeof want, "%s/rel/p.h5", cwd);
    TEST_CHECK(
        rise_train_config_set(&c, "data.sources=non_expert:./rel/p.h5,expert:/x/e.h5") == RISE_OK &&
            !strcmp(c.data.sources[0].path, want) && !strcmp(c.data.sources[1].path, "/x/e.h5"),
        "relative --set data path: %s, want %s", c.data.sources[0].path, want);
    snprintf(want, sizeof want, "%s/more.h5", cwd);
    TEST_CHECK(rise_train_config_set(&c, "data.source=expert:more.h5") == RISE_OK &&
                   c.data.n_sources == 3 && !strcmp(c.data.sources[2].path, want) &&
                   !strcmp(c.data.sources[1].path, "/x/e.h5"),
               "relative data.source: %s", c.data.sources[2].path);
    expect_set_error("data.sources=", NEEDLES("data.sources", "role:path"));
    expect_set_error("data.sources=expert:/a.h5,,x", NEEDLES("data.sources", "empty"));
    TEST_CHECK(rise_train_config_set(&c, "data.sources=expert:/d/e.h5") == RISE_OK &&
                   c.data.n_sources == 1,
               "data.sources back to one: %s", rise_last_error());
    TEST_CHECK(rise_train_config_set(&c, "data.obs_keys=a,b") == RISE_OK &&
                   c.data.n_obs_keys == 2 && !strcmp(c.data.obs_keys[1], "b"),
               "data.obs_keys");
    TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "config after sets: %s", rise_last_error());

    expect_set_error("train.steps=abc", NEEDLES("train.steps", "integer", "abc"));
    expect_set_error("train.steps=2.5", NEEDLES("train.steps", "integer", "2.5"));
    expect_set_error("train.steps=99999999999", NEEDLES("train.steps", "99999999999"));
    expect_set_error("policy.lr=fast", NEEDLES("policy.lr", "number", "fast"));
    expect_set_error("policy.lr=1e999", NEEDLES("policy.lr", "1e999"));
    expect_set_error("relabel.enable=maybe", NEEDLES("relabel.enable", "true", "maybe"));
    expect_set_error("train.stepz=3", NEEDLES("train.stepz", "did you mean 'train.steps'"));
    expect_set_error("train.lr=0.1", NEEDLES("train.lr", "policy.lr"));
    expect_set_error("trian.steps=3", NEEDLES("trian", "did you mean 'train'"));
    expect_set_error("steps=3", NEEDLES("steps=3", "group.name=value", "train.steps"));
    expect_set_error("train.steps", NEEDLES("train.steps", "group.name=value"));
    expect_set_error("data.rewrd=rise", NEEDLES("data.rewrd"));
    expect_set_error("data.reward=maybe", NEEDLES("data.reward", "maybe"));
    expect_set_error("data.source=teacher:x.h5", NEEDLES("teacher"));
    char long_value[300];
    memset(long_value, 'a', sizeof long_value);
    memcpy(long_value, "train.task=", 11);
    long_value[sizeof long_value - 1] = '\0';
    expect_set_error(long_value, NEEDLES("train.task", "127"));
}

/* Values far from the defaults, with awkward floats, and a data spec. */
static void fill_unusual(rise_train_config *c) {
    rise_train_config_default(c);
    int i = 0;
#define X(TYPE, group, name, def, help) ++i;
#include "algorithms/train_config_fields.def"
#undef X
    TEST_CHECK(i > 60, "field table has only %d rows", i);
    c->train_steps = 123457;
    c->train_seed = 2147483647;
    c->train_expert_only = 1;
    c->critic_layernorm = 0;
    c->policy_lr = 0.1f;
    c->critic_lr = nextafterf(3e-4f, 1.0f);
    c->critic_discount = nextafterf(1.0f, 0.0f);
    c->critic_expectile = 0.7f;
    c->train_expert_ratio = 1.0f / 3.0f;
    c->actor_awr_max_weight = 3.4e38f;
    c->cql_entropy_target = -1e-7f;
    c->noise_sigma_lo = FLT_MIN;     /* smallest normal */
    c->train_max_grad_norm = 1e-40f; /* subnormal */
    c->train_weight_decay = 0.0f;
    snprintf(c->train_algo, sizeof c->train_algo, "idql");
    snprintf(c->relabel_match_key, sizeof c->relabel_match_key, "robot0 \"gripper\"\\qpos");
    c->has_data = 1;
    rise_data_spec_default(&c->data);
    TEST_CHECK(rise_data_spec_add_source(&c->data, "expert:/d/expert.h5") == RISE_OK, "source");
    TEST_CHECK(rise_data_spec_add_source(&c->data, "play:/d/all.h5:play") == RISE_OK, "source");
    TEST_CHECK(rise_data_spec_set(&c->data, "terminal", "traj_end") == RISE_OK, "terminal");
    TEST_CHECK(rise_data_spec_set(&c->data, "obs_keys", "pos,vel") == RISE_OK, "obs_keys");
}

static void test_round_trip(void) {
    rise_train_config a, b, d;
    fill_unusual(&a);
    TEST_CHECK(rise_train_config_check(&a) == RISE_OK, "unusual config fails check: %s",
               rise_last_error());
    char *text = rise_train_config_to_json(&a);
    TEST_CHECK(text != NULL, "to_json returned NULL");
    if (!text) return;
    TEST_CHECK(contains(text, "\"steps\":\t123457") || contains(text, "\"steps\": 123457"),
               "to_json lacks train.steps: %s", text);
    TEST_CHECK(contains(text, "0.1,") || contains(text, "0.1\n"), "0.1f not printed short");
    TEST_CHECK(contains(text, "\"data\""), "to_json lacks the data object");
    rise_train_config_default(&b);
    rise_status st = rise_train_config_from_json_text(&b, text, "roundtrip", NULL);
    TEST_CHECK(st == RISE_OK, "from_json_text of to_json failed: %s", rise_last_error());
    TEST_CHECK(configs_equal(&a, &b, 1), "round trip through JSON changed fields");
    TEST_CHECK(!strcmp(b.source_path, "roundtrip"), "source_path = %s", b.source_path);

    /* Through a file and load (absolute data paths stay as they are); stable text. */
    char path[512];
    write_file(path, sizeof path, "resolved.json", text);
    st = rise_train_config_load(&d, path);
    TEST_CHECK(st == RISE_OK, "load of to_json failed: %s", rise_last_error());
    TEST_CHECK(configs_equal(&a, &d, 1), "round trip through a file changed fields");
    char *text2 = rise_train_config_to_json(&d);
    TEST_CHECK(text2 && !strcmp(text, text2), "to_json not stable across a round trip");
    free(text2);
    free(text);

    /* Defaults round trip too (no data object). */
    rise_train_config_default(&a);
    text = rise_train_config_to_json(&a);
    TEST_CHECK(text && !contains(text, "\"data\""), "defaults wrote a data object");
    st = rise_train_config_from_json_text(&b, text, "defaults", NULL);
    TEST_CHECK(st == RISE_OK && configs_equal(&a, &b, 1), "defaults round trip: %s",
               rise_last_error());
    free(text);
}

static void test_bad_files(void) {
    expect_load_error("unknown_key.json", "{\"train\": {\"stepz\": 5}}",
                      NEEDLES("train.stepz", "did you mean 'train.steps'"));
    expect_load_error("unknown_key2.json", "{\"critic\": {\"gamma\": 0.9}}",
                      NEEDLES("critic.gamma", "did you mean 'critic.discount'"));
    expect_load_error("unknown_group.json", "{\"trian\": {\"steps\": 5}}",
                      NEEDLES("trian", "did you mean 'train'"));
    expect_load_error("unknown_group2.json", "{\"optimizer\": {}}",
                      NEEDLES("optimizer", "policy", "critic"));
    expect_load_error("string_for_int.json", "{\"train\": {\"steps\": \"100\"}}",
                      NEEDLES("train.steps", "integer", "string \"100\""));
    expect_load_error("fraction_for_int.json", "{\"train\": {\"batch\": 2.5}}",
                      NEEDLES("train.batch", "integer", "2.5"));
    expect_load_error("string_for_float.json", "{\"policy\": {\"lr\": \"fast\"}}",
                      NEEDLES("policy.lr", "number", "fast"));
    expect_load_error("string_for_bool.json", "{\"critic\": {\"layernorm\": \"yes\"}}",
                      NEEDLES("critic.layernorm", "true or false", "yes"));
    expect_load_error("number_for_bool.json", "{\"critic\": {\"layernorm\": 2}}",
                      NEEDLES("critic.layernorm", "2"));
    expect_load_error("number_for_string.json", "{\"train\": {\"algo\": 3}}",
                      NEEDLES("train.algo", "string", "number 3"));
    expect_load_error("scalar_group.json", "{\"train\": 5}", NEEDLES("train", "object"));
    expect_load_error("array_root.json", "[1, 2]", NEEDLES("top level", "array"));
    expect_load_error("bad_comment.json", "{\"comment\": 5}", NEEDLES("comment", "string"));
    expect_load_error("twice.json", "{\"train\": {\"steps\": 5, \"steps\": 6}}",
                      NEEDLES("train.steps", "twice"));
    expect_load_error("group_twice.json", "{\"train\": {}, \"train\": {}}",
                      NEEDLES("train", "twice"));
    expect_load_error("bad_json.json", "{\n  \"train\": {\"steps\": 5,,}\n}\n",
                      NEEDLES(":2:", "malformed JSON"));
    expect_load_error("truncated.json", "{\"train\": {\"steps\": 5", NEEDLES("malformed JSON"));
    expect_load_error("empty.json", "", NEEDLES("empty"));
    expect_load_error("bad_data.json",
                      "{\"data\": {\"sources\": [{\"path\": \"a.h5\", \"role\": \"expert\"}], "
                      "\"bogus\": 1}}",
                      NEEDLES("data", "bogus"));
    expect_load_error("data_not_object.json", "{\"data\": \"a.h5\"}",
                      NEEDLES("data", "object", "a.h5"));

    /* The line:column points at the error. */
    char path[512];
    write_file(path, sizeof path, "pos.json", "{\n\"train\": {\n  \"steps\": 5\n  \"batch\": 3}}");
    rise_train_config c;
    TEST_CHECK(rise_train_config_load(&c, path) == RISE_ERR_FORMAT, "missing comma accepted");
    char want[600];
    snprintf(want, sizeof want, "%s:4:", path);
    TEST_CHECK(contains(rise_last_error(), want), "expected position %s in: %s", want,
               rise_last_error());

    const char *missing = "/nonexistent-rise-dir/run.json";
    TEST_CHECK(rise_train_config_load(&c, missing) == RISE_ERR_IO, "missing file not IO error");
    TEST_CHECK(contains(rise_last_error(), missing), "missing file message: %s", rise_last_error());
}

static void test_check_errors(void) {
    expect_check_error("train.algo=riss",
                       NEEDLES("train.algo", "riss", "bc_mlp", "cql", "did you mean 'rise'"));
    expect_check_error("train.backend=tpu", NEEDLES("train.backend", "tpu", "cpu, ref, cuda"));
    expect_check_error("extract.rule=argmax ", NEEDLES("extract.rule", "argmax, expectile"));
    expect_check_error("spectral.mode=", NEEDLES("spectral.mode", "none, code, paper"));
    expect_check_error("train.task=", NEEDLES("train.task"));
    expect_check_error("train.steps=0", NEEDLES("train.steps", "= 0", ">= 1"));
    expect_check_error("train.batch=-4", NEEDLES("train.batch", "-4"));
    expect_check_error("train.expert_ratio=1.5", NEEDLES("train.expert_ratio", "1.5"));
    expect_check_error("policy.lr=2", NEEDLES("policy.lr", "= 2", "(0, 1)"));
    expect_check_error("policy.lr=0", NEEDLES("policy.lr", "(0, 1)"));
    expect_check_error("critic.lr=-0.001", NEEDLES("critic.lr", "-0.001"));
    expect_check_error("critic.discount=1.5", NEEDLES("critic.discount", "1.5", "[0, 1]"));
    expect_check_error("critic.expectile=1", NEEDLES("critic.expectile", "(0, 1)"));
    expect_check_error("critic.tau=0", NEEDLES("critic.tau", "(0, 1]"));
    expect_check_error("policy.ema=1", NEEDLES("policy.ema", "[0, 1)"));
    expect_check_error("policy.dropout=1", NEEDLES("policy.dropout", "[0, 1)"));
    expect_check_error("policy.obs_horizon=0", NEEDLES("policy.obs_horizon"));
    expect_check_error("policy.action_horizon=0", NEEDLES("policy.action_horizon"));
    expect_check_error("policy.action_exec=2",
                       NEEDLES("policy.action_exec", "policy.action_horizon"));
    expect_check_error("policy.depth=9", NEEDLES("policy.depth", "9", "[1, 8]"));
    expect_check_error("critic.depth=0", NEEDLES("critic.depth", "[1, 8]"));
    expect_check_error("policy.width=0", NEEDLES("policy.width"));
    expect_check_error("spectral.width=0", NEEDLES("spectral.width"));
    expect_check_error("extract.candidates=0", NEEDLES("extract.candidates"));
    expect_check_error("diffusion.sample_steps=101",
                       NEEDLES("diffusion.sample_steps", "101", "diffusion.train_steps"));
    expect_check_error("diffusion.sample_steps=0", NEEDLES("diffusion.sample_steps"));
    expect_check_error("actor.log_std_min=3", NEEDLES("actor.log_std_min", "actor.log_std_max"));
    expect_check_error("noise.sigma_lo=0.5", NEEDLES("noise.sigma_lo", "noise.sigma_hi"));
    expect_check_error("eval.grid=0", NEEDLES("eval.grid"));
    expect_check_error("data.reward=dataset", NEEDLES("data", "no sources"));

    /* A value just inside each bound passes. */
    rise_train_config c;
    rise_train_config_default(&c);
    const char *ok[] = {"policy.action_horizon=4",
                        "policy.action_exec=4",
                        "critic.discount=1",
                        "critic.tau=1",
                        "policy.ema=0",
                        "policy.depth=8",
                        "diffusion.sample_steps=100",
                        "train.expert_ratio=1"};
    for (int i = 0; i < 8; ++i)
        TEST_CHECK(rise_train_config_set(&c, ok[i]) == RISE_OK, "--set %s", ok[i]);
    TEST_CHECK(rise_train_config_check(&c) == RISE_OK, "bounds rejected: %s", rise_last_error());
}

static void test_help(void) {
    FILE *f = tmpfile();
    TEST_CHECK(f != NULL, "tmpfile");
    if (!f) return;
    rise_train_config_print_help(f);
    const long size = ftell(f);
    rewind(f);
    char *text = calloc(1, (size_t)size + 1);
    const size_t got = fread(text, 1, (size_t)size, f);
    text[got] = '\0';
    fclose(f);
    int missing = 0;
#define X(TYPE, group, name, def, help)                                                            \
    if (!contains(text, #group "." #name) || !contains(text, help)) {                              \
        ++missing;                                                                                 \
        fprintf(stderr, "  help lacks %s\n", #group "." #name);                                    \
    }
#include "algorithms/train_config_fields.def"
#undef X
    TEST_CHECK(missing == 0, "%d keys missing from the help table", missing);
    TEST_CHECK(contains(text, "20000") && contains(text, "\"lnresnet\"") &&
                   contains(text, "0.9999"),
               "help table lacks defaults");
    TEST_CHECK(contains(text, "data.source"), "help lacks the data keys");
    free(text);
}

int main(void) {
    snprintf(tmp_dir, sizeof tmp_dir, "/tmp/rise_cfg_XXXXXX");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "FAIL: mkdtemp\n");
        return 1;
    }
    test_defaults();
    test_load();
    test_set();
    test_round_trip();
    test_bad_files();
    test_check_errors();
    test_help();
    for (int i = 0; i < tmp_count; ++i) remove(tmp_files[i]);
    if (rmdir(tmp_dir) != 0) fprintf(stderr, "warning: could not remove %s\n", tmp_dir);
    return test_finish();
}
