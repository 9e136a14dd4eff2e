/** The messages of one field, beside it. */
export function FieldErrors({ messages }: { messages: string[] | undefined }) {
  return (
    <>
      {messages?.map((message) => (
        <small key={message} role="alert" className="field-error">
          {message}
        </small>
      ))}
    </>
  );
}
