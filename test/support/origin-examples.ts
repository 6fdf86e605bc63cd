/** The origin document's request examples, exactly as published, for tests of several vendors. */
export {
  originJimengExample,
  originKlingExample,
  originViduExample,
} from '../../src/http/generations/origin-examples.js';
