import { render } from 'preact';
import '../shared/base.css';

function Console() {
  return (
    <main>
      <h1>wa-verify console</h1>
    </main>
  );
}

render(<Console />, document.getElementById('root')!);
