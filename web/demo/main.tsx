import { render } from 'preact';
import '../shared/base.css';

function Demo() {
  return (
    <main>
      <h1>Verify with WhatsApp</h1>
    </main>
  );
}

render(<Demo />, document.getElementById('root')!);
