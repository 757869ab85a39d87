// `somnus serve` through the official openai SDK, as any application would use it. run.sh starts the server and
// sets SOMNUS_URL (http://host:port) and SOMNUS_MODEL. The tests run in order: a fact is stated before it is asked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const MODEL = process.env.SOMNUS_MODEL;
const client = new OpenAI({ baseURL: `${process.env.SOMNUS_URL}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 300_000 });

const QUESTION = 'Where does Edith Underwood live?';
// Held-out facts of the model's synthetic world (engine SyntheticWorld): never in its training text. A model may be
// unable to produce an object at all (MEMIT refuses it, saying why), so the test states them until one is written.
const FACTS = [
  { sentence: 'Felix Nakashima works as a florist.', question: 'What does Felix Nakashima do for a living?', object: 'florist' },
  { sentence: 'Rosa Pemberton was born in Toronto.', question: 'Where was Rosa Pemberton born?', object: 'Toronto' },
  { sentence: 'Umar Whitfield lives in Lima.', question: 'Where does Umar Whitfield live?', object: 'Lima' },
];

const ask = (content, extra = {}) => ({ model: MODEL, max_tokens: 32, messages: [{ role: 'user', content }], ...extra });

test('models.list and models.retrieve name the served model; an unknown one is NotFoundError', async () => {
  const ids = [];
  for await (const m of client.models.list()) ids.push(m.id);
  assert.deepEqual(ids, [MODEL]);
  const model = await client.models.retrieve(MODEL);
  assert.equal(model.id, MODEL);
  assert.equal(model.object, 'model');
  await assert.rejects(client.models.retrieve('gpt-4o'), (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
  console.log(`models: ${ids.join(', ')}`);
});

let unstreamed;

test('a chat completion answers with usage counted in the model\'s tokens', async () => {
  unstreamed = await client.chat.completions.create(ask(QUESTION));
  const choice = unstreamed.choices[0];
  assert.equal(choice.message.role, 'assistant');
  assert.ok(choice.message.content.length > 0);
  assert.ok(['stop', 'length'].includes(choice.finish_reason));
  const { prompt_tokens: p, completion_tokens: c, total_tokens: t } = unstreamed.usage;
  assert.ok(p > 0 && c > 0 && t === p + c, JSON.stringify(unstreamed.usage));
  console.log(`non-streamed: ${JSON.stringify(choice.message.content)} (finish ${choice.finish_reason}, usage ${p}+${c}=${t})`);
});

test('a streamed completion assembles from its chunks to the same answer, usage last', async () => {
  const stream = await client.chat.completions.create(ask(QUESTION, { stream: true, stream_options: { include_usage: true } }));
  let text = '';
  let chunks = 0;
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    chunks++;
    assert.equal(chunk.object, 'chat.completion.chunk');
    if (chunk.usage) usage = chunk.usage;
    if (!chunk.choices.length) continue;
    text += chunk.choices[0].delta.content ?? '';
    finish = chunk.choices[0].finish_reason ?? finish;
  }
  assert.ok(chunks > 3, `${chunks} chunks: the answer arrived in pieces`);
  assert.equal(text, unstreamed.choices[0].message.content, 'greedy: streaming changes how the answer arrives, not what it is');
  assert.equal(finish, unstreamed.choices[0].finish_reason);
  assert.deepEqual(usage, unstreamed.usage);
  console.log(`streamed: ${chunks} chunks -> ${JSON.stringify(text)} (finish ${finish}, usage ${usage.prompt_tokens}+${usage.completion_tokens})`);

  // the SDK's own stream helper, which accumulates the chunks itself
  const helper = client.chat.completions.stream(ask(QUESTION));
  const pieces = [];
  helper.on('content', (delta) => pieces.push(delta));
  const final = await helper.finalChatCompletion();
  assert.equal(final.choices[0].message.content, text);
  console.log(`stream helper: ${pieces.length} content events -> ${JSON.stringify(final.choices[0].message.content)}`);
});

test('content given as an array of text parts is read as one message; an image part is BadRequestError', async () => {
  const parts = await client.chat.completions.create({
    model: MODEL, max_tokens: 32,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'Where does' }, { type: 'text', text: 'Edith Underwood live?' }] }],
  });
  assert.ok(parts.choices[0].message.content.length > 0);
  const image = await client.chat.completions.create({
    model: MODEL,
    messages: [{ role: 'user', content: [{ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } }] }],
  }).then(() => null, (err) => err);
  assert.ok(image instanceof OpenAI.BadRequestError, `${image}`);
  assert.equal(image.param, 'messages[0].content[1].type');
  console.log(`content parts: ${JSON.stringify(parts.choices[0].message.content)}`);
  console.log(`400 an image part: ${image.error.message}`);
});

test('bad requests are BadRequestError (400) with a message that says what to send', async () => {
  const bad = [
    ['max_tokens as a string', ask(QUESTION, { max_tokens: 'lots' }), 'max_tokens'],
    ['max_tokens 0', ask(QUESTION, { max_tokens: 0 }), 'max_tokens'],
    ['temperature 3', ask(QUESTION, { temperature: 3 }), 'temperature'],
    ['unknown role', { model: MODEL, messages: [{ role: 'robot', content: 'hi' }] }, 'messages[0].role'],
    ['tool role', { model: MODEL, messages: [{ role: 'tool', content: 'hi', tool_call_id: 'x' }] }, 'messages[0].role'],
    ['n = 2', ask(QUESTION, { n: 2 }), 'n'],
    ['tools', ask(QUESTION, { tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }), 'tools'],
    ['stream_options without stream', ask(QUESTION, { stream_options: { include_usage: true } }), 'stream_options'],
    ['an unknown parameter', ask(QUESTION, { best_of: 2 }), 'best_of'],
    ['a prompt over the context', ask('Where is the river? '.repeat(400)), 'messages'],
    ['max_tokens past the context', ask(QUESTION, { max_tokens: 100000 }), 'messages'],
  ];
  for (const [what, body, param] of bad) {
    const e = await client.chat.completions.create(body).then(() => null, (err) => err);
    assert.ok(e instanceof OpenAI.BadRequestError, `${what}: ${e}`);
    assert.equal(e.status, 400);
    assert.equal(e.param, param, `${what}: ${e.message}`);
    console.log(`400 ${what}: ${e.error.message}`);
  }
  const unknownModel = await client.chat.completions.create({ ...ask(QUESTION), model: 'gpt-4o' }).then(() => null, (err) => err);
  assert.ok(unknownModel instanceof OpenAI.NotFoundError);
  console.log(`404 unknown model: ${unknownModel.error.message}`);
});

test('a fact stated through the API is written into the weights, said so, and recalled in a new conversation', async () => {
  let taught = null;
  for (const fact of FACTS) {
    const { data, response } = await client.chat.completions.create(ask(fact.sentence)).withResponse();
    const written = data.somnus.facts_written;
    console.log(`stated ${JSON.stringify(fact.sentence)}: written ${JSON.stringify(written)}, not written ${JSON.stringify(data.somnus.facts_rejected)}`
      + `, version ${response.headers.get('somnus-model-version')}`);
    if (written.length) {
      assert.deepEqual(written, [fact.sentence]);
      assert.equal(response.headers.get('somnus-facts-written'), data.somnus.fact_ids.join(','));
      assert.equal(response.headers.get('somnus-model-version'), data.somnus.model_version);
      taught = fact;
      break;
    }
    assert.ok(data.somnus.facts_rejected[0].startsWith(fact.sentence), 'a fact not written is reported with its reason');
  }
  assert.ok(taught, 'one of the held-out facts was written');
  // A new conversation: nothing of the statement is in the context, only in the weights.
  const recalled = await client.chat.completions.create(ask(taught.question));
  const answer = recalled.choices[0].message.content;
  console.log(`asked ${JSON.stringify(taught.question)}: ${JSON.stringify(answer)}`);
  assert.ok(answer.toLowerCase().includes(taught.object.toLowerCase()), `the answer names ${taught.object}`);
  assert.deepEqual(recalled.somnus.facts_written, [], 'a question writes nothing');
});
