// Package chat renders an alert as a custom notification of Amazon Q
// Developer in chat applications (formerly AWS Chatbot): a title, a
// description and next steps with console links, in the markdown of the
// chosen client (Slack or Microsoft Teams). The SNS message carries it for
// HTTPS subscribers, which is how the chat integration subscribes to a
// topic (notify.Message.Chat).
package chat
